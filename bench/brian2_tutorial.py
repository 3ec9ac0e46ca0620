#!/usr/bin/env python3
"""Brian2 reference for brunel's small "balanced random network" model `tutorial`.

Builds the network with the defaults of the Rust model `tutorial`, runs it once
per seed and prints, per seed and as mean +- sd over seeds:

  * E and I population rates (Hz): spikes / (neurons * duration)
  * mean per-neuron CV of the ISIs for E and for I (CV = std/mean of the
    neuron's ISIs, population std, over neurons with >= 3 spikes, i.e. >= 2
    ISIs; NaN when no neuron qualifies)
  * fraction of E and of I neurons with >= 1 spike

Network (times in ms, potentials in mV):
  dt = 0.1, duration 1000, N = 100 (N_E = 80, N_I = 20), one NeuronGroup of
  100 LIF neurons (E = [0, 80), I = [80, 100)):
      dv/dt = (u_rest - v + I)/tau_m : volt (unless refractory)
      dI/dt = -I/tau_syn : volt
      u_rest : volt (constant)
  tau_m 20, tau_syn 5, refractory 2, threshold v > -50, reset v = -65,
  method 'exact'; u_rest ~ U[-65, -60] per neuron, v0 = u_rest, I0 = 0.
  Drive: PoissonGroup(80, 1000 Hz) one-to-one onto E and PoissonGroup(20,
  1000 Hz) one-to-one onto I, I += 2.2 mV, delay 1.0.
  Recurrent, created in the order E->E, E->I, I->I, I->E, each connect(p=0.1)
  (Brian2 defaults, so E->E and I->I may contain self-connections):
      excitatory w = |N(0, 2 mV)|, inhibitory w = -4 |N(0, 2 mV)|,
      delay ~ N(1.5, 0.75) clipped below at dt; on_pre: I_post += w.
  Extension (--ext-rate-hz R > 0): PoissonGroup(100, R Hz) all-to-all onto E,
  I += 0.06 mV, delay 1.0.

Randomness: brian2.seed(s) seeds Brian2's generators (Poisson spikes and the
connect(p=...) draws); a separate numpy.random.default_rng(s) draws, in this
order, u_rest (100 values, E then I) and then for each projection in the order
above its weights (one |N(0,1)| per synapse) followed by its delays.

Usage:
  bench/setup-venv.sh   # prints the venv path
  $VENV/bin/python bench/brian2_tutorial.py --seeds 1 2 3 --ext-rate-hz 50 --json out.json
"""

import argparse
import datetime
import json
import math
import platform
import shlex
import sys
import time

import numpy as np

from spike_stats import nan_to_none


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, nargs="+", default=list(range(1, 11)),
                   help="seeds to run (default 1..10)")
    p.add_argument("--ext-rate-hz", type=float, default=0.0,
                   help="rate of the 100 extra Poisson sources onto E (0 = off, default)")
    p.add_argument("--target", choices=["numpy", "cython"], default="numpy",
                   help="Brian2 codegen target (default numpy; the two targets use "
                        "different random streams, so results differ per seed)")
    p.add_argument("--json", metavar="FILE", help="write per-seed values and summary as JSON")
    return p.parse_args(argv)


# Model constants (defaults of brunel's `tutorial`).
N_E, N_I = 80, 20
DT_MS = 0.1
DURATION_MS = 1000.0
TAU_M_MS, TAU_SYN_MS, REFRACTORY_MS = 20.0, 5.0, 2.0
V_TH_MV, V_RESET_MV = -50.0, -65.0
U_REST_LO_MV, U_REST_HI_MV = -65.0, -60.0
INPUT_RATE_HZ, INPUT_W_MV, INPUT_DELAY_MS = 1000.0, 2.2, 1.0
P_CONN = 0.1
W_SIGMA_MV, G_INH = 2.0, 4.0
DELAY_MEAN_MS, DELAY_SD_MS = 1.5, 0.75
EXT_N, EXT_W_MV, EXT_DELAY_MS = 100, 0.06, 1.0


def run_one(seed, ext_rate_hz):
    import brian2 as b2
    from brian2 import ms, mV, Hz, second

    b2.seed(seed)
    rng = np.random.default_rng(seed)
    b2.defaultclock.dt = DT_MS * ms

    tau_m = TAU_M_MS * ms
    tau_syn = TAU_SYN_MS * ms
    eqs = """
    dv/dt = (u_rest - v + I)/tau_m : volt (unless refractory)
    dI/dt = -I/tau_syn : volt
    u_rest : volt (constant)
    """
    N = N_E + N_I
    G = b2.NeuronGroup(N, eqs, threshold="v > %r*mV" % V_TH_MV,
                       reset="v = %r*mV" % V_RESET_MV,
                       refractory=REFRACTORY_MS * ms, method="exact",
                       namespace={"tau_m": tau_m, "tau_syn": tau_syn}, name="neurons")
    u_rest = rng.uniform(U_REST_LO_MV, U_REST_HI_MV, size=N)
    G.u_rest = u_rest * mV
    G.v = u_rest * mV
    G.I = 0 * mV
    E = G[:N_E]
    I = G[N_E:]

    objs = [G]

    # Poisson drive, one-to-one.
    PE = b2.PoissonGroup(N_E, INPUT_RATE_HZ * Hz, name="poisson_e")
    PI = b2.PoissonGroup(N_I, INPUT_RATE_HZ * Hz, name="poisson_i")
    SPE = b2.Synapses(PE, E, on_pre="I_post += %r*mV" % INPUT_W_MV,
                      delay=INPUT_DELAY_MS * ms, name="in_e")
    SPE.connect(j="i")
    SPI = b2.Synapses(PI, I, on_pre="I_post += %r*mV" % INPUT_W_MV,
                      delay=INPUT_DELAY_MS * ms, name="in_i")
    SPI.connect(j="i")
    objs += [PE, PI, SPE, SPI]

    # Recurrent connections.
    n_syn = {}
    for name, src, tgt, sign in [("ee", E, E, 1.0), ("ei", E, I, 1.0),
                                 ("ii", I, I, -G_INH), ("ie", I, E, -G_INH)]:
        S = b2.Synapses(src, tgt, "w : volt", on_pre="I_post += w", name="syn_" + name)
        S.connect(p=P_CONN)
        n = len(S)
        n_syn[name] = int(n)
        w = sign * np.abs(rng.normal(0.0, W_SIGMA_MV, size=n))
        d = np.maximum(rng.normal(DELAY_MEAN_MS, DELAY_SD_MS, size=n), DT_MS)
        if n:
            S.w = w * mV
            S.delay = d * ms
        objs.append(S)

    if ext_rate_hz > 0:
        PX = b2.PoissonGroup(EXT_N, ext_rate_hz * Hz, name="poisson_ext")
        SX = b2.Synapses(PX, E, on_pre="I_post += %r*mV" % EXT_W_MV,
                         delay=EXT_DELAY_MS * ms, name="in_ext")
        SX.connect()
        objs += [PX, SX]

    ME = b2.SpikeMonitor(E, name="spikes_e")
    MI = b2.SpikeMonitor(I, name="spikes_i")
    objs += [ME, MI]

    net = b2.Network(*objs)
    t0 = time.perf_counter()
    # empty run namespace: all constants are in the group namespace or literal
    net.run(DURATION_MS * ms, namespace={})
    wall = time.perf_counter() - t0

    T = DURATION_MS / 1000.0
    out = {"seed": seed, "run_wall_s": round(wall, 3), "n_synapses": n_syn}
    for label, mon, n in [("e", ME, N_E), ("i", MI, N_I)]:
        trains = mon.spike_trains()
        counts = np.array([len(trains[k]) for k in range(n)])
        cvs = []
        for k in range(n):
            t = np.asarray(trains[k] / second)
            if len(t) >= 3:
                isi = np.diff(t)
                cvs.append(float(np.std(isi) / np.mean(isi)))
        out["rate_%s_hz" % label] = float(counts.sum() / (n * T))
        out["cv_%s" % label] = float(np.mean(cvs)) if cvs else float("nan")
        out["n_cv_%s" % label] = len(cvs)
        out["frac_active_%s" % label] = float(np.mean(counts >= 1))
        out["spikes_%s" % label] = int(counts.sum())
    return out


STATS = ["rate_e_hz", "rate_i_hz", "cv_e", "cv_i", "frac_active_e", "frac_active_i"]


def summarize(rows):
    summ = {}
    for k in STATS:
        vals = np.array([r[k] for r in rows], dtype=float)
        ok = vals[~np.isnan(vals)]
        summ[k] = {
            "mean": float(np.mean(ok)) if len(ok) else None,
            # sample standard deviation over seeds (ddof = 1); 0 for a single seed
            "sd": float(np.std(ok, ddof=1)) if len(ok) > 1 else (0.0 if len(ok) else None),
            "n": int(len(ok)),
        }
    return summ


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    import brian2 as b2
    b2.prefs.codegen.target = args.target
    b2.prefs.logging.console_log_level = "WARNING"

    header = "%5s %9s %9s %7s %7s %7s %7s %8s" % (
        "seed", "E Hz", "I Hz", "CV E", "CV I", "act E", "act I", "wall s")
    print("brian2 %s, numpy %s, target %s, ext rate %g Hz"
          % (b2.__version__, np.__version__, args.target, args.ext_rate_hz))
    print(header)
    rows = []
    for s in args.seeds:
        r = run_one(s, args.ext_rate_hz)
        rows.append(r)
        print("%5d %9.3f %9.3f %7.4f %7.4f %7.3f %7.3f %8.2f" % (
            s, r["rate_e_hz"], r["rate_i_hz"], r["cv_e"], r["cv_i"],
            r["frac_active_e"], r["frac_active_i"], r["run_wall_s"]), flush=True)
    summ = summarize(rows)

    def fmt(k, prec):
        m, sd = summ[k]["mean"], summ[k]["sd"]
        if m is None:
            return "nan"
        return "%.*f +- %.*f" % (prec, m, prec, sd)

    print("mean +- sd over %d seeds (sd with ddof=1):" % len(rows))
    print("  E rate  %s Hz" % fmt("rate_e_hz", 3))
    print("  I rate  %s Hz" % fmt("rate_i_hz", 3))
    print("  CV E    %s" % fmt("cv_e", 4))
    print("  CV I    %s" % fmt("cv_i", 4))
    print("  act E   %s" % fmt("frac_active_e", 3))
    print("  act I   %s" % fmt("frac_active_i", 3))

    if args.json:
        doc = {
            "model": "tutorial",
            "description": "Brian2 reference for brunel's `tutorial` balanced random network "
                           "(see bench/brian2_tutorial.py docstring for the exact model)",
            "command": shlex.join([sys.executable] + sys.argv),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "versions": {"brian2": b2.__version__, "numpy": np.__version__,
                         "python": platform.python_version()},
            "codegen_target": args.target,
            "params": {
                "n_e": N_E, "n_i": N_I, "dt_ms": DT_MS, "duration_ms": DURATION_MS,
                "tau_m_ms": TAU_M_MS, "tau_syn_ms": TAU_SYN_MS, "refractory_ms": REFRACTORY_MS,
                "v_th_mv": V_TH_MV, "v_reset_mv": V_RESET_MV,
                "u_rest_mv": [U_REST_LO_MV, U_REST_HI_MV],
                "input_rate_hz": INPUT_RATE_HZ, "input_w_mv": INPUT_W_MV,
                "input_delay_ms": INPUT_DELAY_MS, "p_conn": P_CONN,
                "w_sigma_mv": W_SIGMA_MV, "g_inh": G_INH,
                "delay_mean_ms": DELAY_MEAN_MS, "delay_sd_ms": DELAY_SD_MS,
                "delay_min_ms": DT_MS,
                "ext_rate_hz": args.ext_rate_hz, "ext_n": EXT_N, "ext_w_mv": EXT_W_MV,
                "ext_delay_ms": EXT_DELAY_MS,
            },
            "stat_definitions": {
                "rate_*_hz": "spikes of the population / (neurons * 1 s)",
                "cv_*": "mean over neurons with >= 3 spikes of std(ISI)/mean(ISI) "
                        "(population std, ddof=0); null if no neuron qualifies",
                "frac_active_*": "fraction of the population's neurons with >= 1 spike",
                "summary sd": "sample standard deviation over seeds (ddof=1)",
            },
            "seeds": args.seeds,
            "per_seed": rows,
            "summary": summ,
        }
        with open(args.json, "w") as f:
            json.dump(nan_to_none(doc), f, indent=2)
            f.write("\n")
        print("wrote %s" % args.json)


if __name__ == "__main__":
    main()
