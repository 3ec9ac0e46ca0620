#!/usr/bin/env python3
"""Brian2 reference for brunel's model `brunel` (Brunel 2000, model A).

The same network as bench/nest_brunel.py, in Brian2, with the same measures
(E/I rates, mean per-neuron CV of ISIs over neurons with >= 3 spikes, std/mean
with ddof = 0, fraction of neurons with >= 1 spike; window warmup_ms <= t <=
sim_ms) printed and optionally written as JSON, plus timings.

Network (times in ms, potentials in mV):
  one NeuronGroup of N_E + N_I neurons (E = [0, N_E), I = [N_E, N_E + N_I)):
      dv/dt = -v/tau : volt (unless refractory)
  tau 20, threshold v >= 20, reset v = 10, refractory 2, method 'exact';
  v(0) ~ U[0, 20) from numpy.
  Fixed in-degree: every neuron gets C_E = round(0.1 N_E) sources drawn from E
  and C_I = round(0.1 N_I) from I by numpy `rng.integers(0, N_pre, size=(N_post, C))`
  (multapses kept); for E->E and I->I a source equal to the target is redrawn
  until none is left (no autapses). Two Synapses objects (from E, from I) with
  constant weights J = 0.1 and -g*J; on_pre: v_post += w * int(not_refractory_post).
  Delay 1.4 ms: Brian2 adds a spike delivered at step n to v after that step's
  threshold, so its effect is seen one step (dt) later; 1.4 ms + dt matches
  NEST's exact 1.5 ms.
  External drive: PoissonInput(G, 'v', N=C_E, rate=nu_ext, weight='J*int(not_refractory)'),
  nu_ext = eta * theta/(J*C_E*tau) (20 Hz at eta = 2 for the defaults).

  Input arriving during the refractory period is discarded (the weight is
  gated by not_refractory), as in NEST's iaf_psc_delta and in brunel, where v
  stays clamped at the reset value; Brian2's "(unless refractory)" alone only
  stops the integration and would let synaptic jumps through.

Step order (--schedule): with Brian2's default schedule ("brian2", the
default) a step is: integrate (decay), threshold, add synaptic/Poisson input,
reset. An input is therefore decayed by one step (x exp(-dt/tau) = 0.995)
before the threshold sees it, and a neuron leaving refractoriness decays from
V_r one step before its first input counts. NEST's iaf_psc_delta (and brunel)
do decay, add input, threshold. --schedule nest reproduces that order exactly:
the Synapses pathways and the PoissonInput run in the "before_thresholds" slot
(the pathway then pushes the previous step's spikes, so the 1.4 ms delay still
gives NEST's 1.5 ms latency) and the refractory period is 2.1 ms, so that, as
in NEST, the 20 steps after the spike step discard input and the 21st is the
first integrated one. At (g, eta) = (5, 2) the default schedule gives a CV
about 0.008 lower than NEST and brunel; --schedule nest matches them.

Randomness: numpy.random.default_rng(seed) draws, in this order, v(0) (E then
I), then the sources of E->E, E->I, I->E, I->I (rows = targets); brian2.seed(seed)
seeds the Poisson drive.

Targets: --target cpp_standalone (default) builds a C++ project in a fresh
temporary directory per run (deleted afterwards unless --keep) and reports the
main-loop time Brian2 measures inside the binary (device._last_run_time), the
binary's whole run, the code generation and `make` times; with
prefs.devices.cpp_standalone.openmp_threads = 0 for --threads 1, else
--threads. --target cython times `run()` (which includes code generation and
compilation unless cached).

Usage:
  VENV=$(bash bench/setup-venv.sh)
  $VENV/bin/python bench/brian2_brunel.py --g 5 --eta 2 --seed 1 --json brian2.json
  $VENV/bin/python bench/brian2_brunel.py --ne 2000 --ni 500 --sim-ms 300 --target cython
"""

import argparse
import json
import math
import os
import platform
import shutil
import sys
import tempfile
import time

import numpy as np

from spike_stats import nan_to_none, population_stats


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ne", type=int, default=10000, help="excitatory neurons (default 10000)")
    p.add_argument("--ni", type=int, default=2500, help="inhibitory neurons (default 2500)")
    p.add_argument("--g", type=float, default=5.0, help="relative inhibition g (default 5)")
    p.add_argument("--eta", type=float, default=2.0, help="nu_ext/nu_thr (default 2)")
    p.add_argument("--seed", type=int, default=1, help="seed (default 1)")
    p.add_argument("--sim-ms", type=float, default=1200.0,
                   help="simulated time, warm-up included (default 1200)")
    p.add_argument("--warmup-ms", type=float, default=200.0,
                   help="start of the measurement window (default 200)")
    p.add_argument("--threads", type=int, default=1,
                   help="OpenMP threads for cpp_standalone (default 1; 1 means openmp_threads = 0)")
    p.add_argument("--target", choices=["cpp_standalone", "cython"], default="cpp_standalone",
                   help="Brian2 target (default cpp_standalone)")
    p.add_argument("--schedule", choices=["brian2", "nest"], default="brian2",
                   help="step order: Brian2's default, or NEST's (input before threshold; "
                        "see the module doc) (default brian2)")
    p.add_argument("--keep", metavar="DIR",
                   help="cpp_standalone: build in DIR and keep it (default: a temp dir, deleted)")
    p.add_argument("--json", metavar="FILE", help="write the results as JSON to FILE")
    a = p.parse_args(argv)
    if a.ne < 1 or a.ni < 1:
        p.error("--ne and --ni must be >= 1")
    if not (0 <= a.warmup_ms < a.sim_ms):
        p.error("need 0 <= --warmup-ms < --sim-ms")
    if a.threads < 1:
        p.error("--threads must be >= 1")
    if a.target == "cython" and a.threads != 1:
        p.error("--threads applies to cpp_standalone only")
    return a


def draw_sources(rng, n_pre, n_post, c, exclude_self):
    """(N_post, C) source indices in [0, n_pre); row k is target k's sources."""
    src = rng.integers(0, n_pre, size=(n_post, c))
    if exclude_self:
        own = np.arange(n_post)[:, None]
        while True:
            bad = src == own
            nbad = int(np.count_nonzero(bad))
            if nbad == 0:
                break
            src[bad] = rng.integers(0, n_pre, size=nbad)
    return src


def main(argv):
    a = parse_args(argv)
    t_import = time.perf_counter()
    import brian2 as b2
    from brian2 import ms, mV, Hz
    t_import = time.perf_counter() - t_import

    n_e, n_i = a.ne, a.ni
    n = n_e + n_i
    c_e, c_i = int(round(0.1 * n_e)), int(round(0.1 * n_i))
    if c_e < 1:
        sys.exit("C_E = round(0.1 N_E) is 0: nu_thr is undefined")
    J_mv, theta_mv, vr_mv, tau_ms = 0.1, 20.0, 10.0, 20.0
    dt_ms, delay_ms = 0.1, 1.4
    nest_order = a.schedule == "nest"
    t_ref_ms = 2.1 if nest_order else 2.0
    nu_thr_hz = theta_mv / (J_mv * c_e * tau_ms) * 1e3
    nu_ext_hz = a.eta * nu_thr_hz

    build_dir = None
    if a.target == "cpp_standalone":
        build_dir = os.path.abspath(a.keep) if a.keep else tempfile.mkdtemp(prefix="brian2_brunel_")
        b2.set_device("cpp_standalone", directory=build_dir, build_on_run=False)
        b2.prefs.devices.cpp_standalone.openmp_threads = 0 if a.threads == 1 else a.threads
    else:
        b2.prefs.codegen.target = "cython"
    b2.defaultclock.dt = dt_ms * ms
    b2.seed(a.seed)
    rng = np.random.default_rng(a.seed)

    t0 = time.perf_counter()
    v0 = rng.uniform(0.0, theta_mv, size=n)
    src_ee = draw_sources(rng, n_e, n_e, c_e, True)
    src_ei = draw_sources(rng, n_e, n_i, c_e, False)
    src_ie = draw_sources(rng, n_i, n_e, c_i, False)
    src_ii = draw_sources(rng, n_i, n_i, c_i, True)
    # From E: targets E (0..N_E) then I (N_E..N); from I likewise.
    pre_e = np.concatenate((src_ee.ravel(), src_ei.ravel())).astype(np.int32)
    post_e = np.concatenate((np.repeat(np.arange(n_e), c_e),
                             n_e + np.repeat(np.arange(n_i), c_e))).astype(np.int32)
    pre_i = np.concatenate((src_ie.ravel(), src_ii.ravel())).astype(np.int32)
    post_i = np.concatenate((np.repeat(np.arange(n_e), c_i),
                             n_e + np.repeat(np.arange(n_i), c_i))).astype(np.int32)
    del src_ee, src_ei, src_ie, src_ii
    outdeg_e = np.bincount(pre_e, minlength=n_e)
    outdeg_i = np.bincount(pre_i, minlength=n_i)
    draw_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    ns = {
        "tau": tau_ms * ms, "theta": theta_mv * mV, "V_r": vr_mv * mV,
        "J": J_mv * mV, "J_I": -a.g * J_mv * mV,
    }
    G = b2.NeuronGroup(n, "dv/dt = -v/tau : volt (unless refractory)",
                       threshold="v >= theta", reset="v = V_r", refractory=t_ref_ms * ms,
                       method="exact", namespace=ns, name="neurons")
    G.v = v0 * mV
    GE, GI = G[:n_e], G[n_e:]
    S_E = b2.Synapses(GE, G, on_pre="v_post += J*int(not_refractory_post)",
                      delay=delay_ms * ms, namespace=ns, name="syn_E")
    S_E.connect(i=pre_e, j=post_e)
    if nest_order:
        S_E.pre.when = "before_thresholds"
    S_I = b2.Synapses(GI, G, on_pre="v_post += J_I*int(not_refractory_post)",
                      delay=delay_ms * ms, namespace=ns, name="syn_I")
    S_I.connect(i=pre_i, j=post_i)
    if nest_order:
        S_I.pre.when = "before_thresholds"
    # PoissonInput takes no namespace: its J comes from run()'s namespace.
    P = b2.PoissonInput(G, "v", N=c_e, rate=nu_ext_hz * Hz, weight="J*int(not_refractory)",
                        when="before_thresholds" if nest_order else "synapses")
    M = b2.SpikeMonitor(G, name="spikes")
    net = b2.Network(G, S_E, S_I, P, M)
    setup_s = time.perf_counter() - t0

    timings = {"import": t_import, "draw_connectivity": draw_s, "setup": setup_s}
    t0 = time.perf_counter()
    net.run(a.sim_ms * ms, namespace=ns, report=None)
    run_call_s = time.perf_counter() - t0
    if a.target == "cpp_standalone":
        dev = b2.get_device()
        t0 = time.perf_counter()
        dev.build(directory=build_dir, compile=True, run=True, with_output=False)
        build_call_s = time.perf_counter() - t0
        make_s = float(dev.timers["compile"]["make"] or 0.0)
        binary_s = float(dev.timers["run_binary"] or 0.0)
        loop_s = float(dev._last_run_time)
        timings.update({
            "run_call": run_call_s,
            "device_build": build_call_s,
            "codegen": build_call_s - make_s - binary_s,
            "make": make_s,
            "binary": binary_s,
            "binary_setup": binary_s - loop_s,
            "main_loop": loop_s,
        })
    else:
        loop_s = run_call_s
        timings.update({"run": run_call_s, "main_loop": loop_s})

    ids = np.asarray(M.i[:], dtype=np.int64)
    times = np.asarray(M.t[:] / ms, dtype=np.float64)
    # Brian2's t is k*dt with k the step of the threshold; NEST's stamp is (k+1)*dt.
    # Both are put on NEST's convention so the window edges select the same steps.
    times = times + dt_ms
    t0 = time.perf_counter()
    pops = {
        "E": population_stats(ids, times, 0, n_e, a.warmup_ms, a.sim_ms),
        "I": population_stats(ids, times, n_e, n_i, a.warmup_ms, a.sim_ms),
        "all": population_stats(ids, times, 0, n, a.warmup_ms, a.sim_ms),
    }
    analyse_s = time.perf_counter() - t0
    timings["analyse"] = analyse_s

    # Exact recurrent synaptic events over the whole run.
    cnt = np.bincount(ids, minlength=n)
    events = int(np.dot(cnt[:n_e], outdeg_e) + np.dot(cnt[n_e:], outdeg_i))
    n_syn = int(len(pre_e) + len(pre_i))

    if build_dir and not a.keep:
        shutil.rmtree(build_dir, ignore_errors=True)

    result = {
        "simulator": "brian2",
        "brian2_version": b2.__version__,
        "target": a.target,
        "schedule": a.schedule,
        "python": platform.python_version(),
        "argv": sys.argv,
        "params": {
            "N_E": n_e, "N_I": n_i, "C_E": c_e, "C_I": c_i, "J_mV": J_mv, "g": a.g,
            "eta": a.eta, "delay_ms": delay_ms, "effective_delay_ms": delay_ms + dt_ms,
            "dt_ms": dt_ms, "tau_m_ms": tau_ms, "theta_mV": theta_mv, "V_reset_mV": vr_mv,
            "t_ref_ms": t_ref_ms, "nu_thr_hz": nu_thr_hz, "nu_ext_hz": nu_ext_hz,
            "seed": a.seed, "sim_ms": a.sim_ms, "warmup_ms": a.warmup_ms,
            "threads": a.threads,
        },
        "populations": pops,
        "synapses": n_syn,
        "synaptic_events": events,
        "spikes_total": int(len(ids)),
        "timings_s": timings,
    }

    print(f"Brian2 {b2.__version__} ({a.target}, {a.schedule} schedule): N_E={n_e} N_I={n_i} C_E={c_e} C_I={c_i} "
          f"g={a.g} eta={a.eta} seed={a.seed} threads={a.threads}; "
          f"drive {c_e * nu_ext_hz:.1f} Hz per neuron")
    print(f"window {a.warmup_ms:g}..{a.sim_ms:g} ms; CV over neurons with >= 3 spikes")
    print(f"{'population':<12} {'neurons':>8} {'spikes':>9} {'rate (Hz)':>10} {'CV ISI':>8} "
          f"{'CV n':>7} {'active (%)':>10}")
    for name, s in pops.items():
        print(f"{name:<12} {s['neurons']:>8} {s['spikes']:>9} {s['rate_hz']:>10.3f} "
              f"{s['cv_isi']:>8.3f} {s['cv_n']:>7} {100 * s['active_fraction']:>10.1f}")
    if a.target == "cpp_standalone":
        print(f"draw {draw_s:.2f} s, setup {setup_s:.2f} s, codegen {timings['codegen']:.2f} s, "
              f"make {timings['make']:.2f} s, binary {timings['binary']:.2f} s "
              f"(main loop {loop_s:.2f} s, rest {timings['binary_setup']:.2f} s), "
              f"analyse {analyse_s:.2f} s; {n_syn} synapses, {events} synaptic events")
    else:
        print(f"draw {draw_s:.2f} s, setup {setup_s:.2f} s, run {run_call_s:.2f} s, "
              f"analyse {analyse_s:.2f} s; {n_syn} synapses, {events} synaptic events")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(nan_to_none(result), f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
