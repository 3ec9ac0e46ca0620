#!/usr/bin/env python3
"""NEST 3.10 reference for brunel's model `brunel` (Brunel 2000, model A).

Builds Brunel's model A with `iaf_psc_delta`, simulates it once and prints (and
optionally writes as JSON) the measures and timings that `brunel simulate
--model brunel` and bench/peers.sh compare:

  * E and I population rates (Hz): spikes in the window / (neurons * window)
  * mean per-neuron CV of the ISIs (std/mean, ddof = 0) over the neurons with
    >= 3 spikes in the window; NaN when none qualifies
  * fraction of neurons with >= 1 spike in the window
  * timings: node creation, connectivity (the nest.Connect calls), simulation
    (nest.Simulate); the whole-process wall time is measured outside
  * number of synapses (kernel `num_connections`, spike recorder included)
    and an estimate of the recurrent synaptic events (spikes of the whole run
    x mean out-degree of their population, which is C_E*(N_E+N_I)/N_E for E
    and C_I*(N_E+N_I)/N_I for I)

The window is warmup_ms <= t <= sim_ms (NEST spike times are on the step grid).

Network (times in ms, potentials in mV), the paper's values:
  N_E = 10000, N_I = 2500 (--ne, --ni), C_E = round(0.1 N_E), C_I = round(0.1 N_I)
  iaf_psc_delta: C_m 1 pF, tau_m 20, t_ref 2, V_th 20, V_reset 10, E_L 0,
  I_e 0; V_m(0) ~ U[0, 20) (NEST's own generator, seeded by rng_seed).
  E -> E+I: fixed_indegree C_E, weight J = 0.1; I -> E+I: fixed_indegree C_I,
  weight -g*J; allow_autapses False, allow_multapses True; delay D = 1.5 for
  every synapse (NEST delivers exactly D after the spike).
  Drive: ONE poisson_generator of rate C_E*eta*nu_thr, nu_thr =
  theta/(J*C_E*tau_m) (10 Hz per input for the defaults: 20 kHz at eta = 2),
  connected all_to_all with weight J and delay D; NEST sends every target an
  independent train.
  Resolution 0.1 ms, `--threads` local threads (default 1).

Usage:
  VENV=$(bash bench/setup-venv.sh)
  $VENV/bin/python bench/nest_brunel.py --g 5 --eta 2 --seed 1 --json nest.json
  $VENV/bin/python bench/nest_brunel.py --ne 2000 --ni 500 --sim-ms 300
"""

import argparse
import json
import math
import os
import platform
import sys
import time

import numpy as np

from spike_stats import nan_to_none, population_stats


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ne", type=int, default=10000, help="excitatory neurons (default 10000)")
    p.add_argument("--ni", type=int, default=2500, help="inhibitory neurons (default 2500)")
    p.add_argument("--g", type=float, default=5.0, help="relative inhibition g (default 5)")
    p.add_argument("--eta", type=float, default=2.0, help="nu_ext/nu_thr (default 2)")
    p.add_argument("--seed", type=int, default=1, help="NEST rng_seed (default 1)")
    p.add_argument("--sim-ms", type=float, default=1200.0,
                   help="simulated time, warm-up included (default 1200)")
    p.add_argument("--warmup-ms", type=float, default=200.0,
                   help="start of the measurement window (default 200)")
    p.add_argument("--threads", type=int, default=1, help="NEST local threads (default 1)")
    p.add_argument("--json", metavar="FILE", help="write the results as JSON to FILE")
    a = p.parse_args(argv)
    if a.ne < 1 or a.ni < 1:
        p.error("--ne and --ni must be >= 1")
    if not (0 <= a.warmup_ms < a.sim_ms):
        p.error("need 0 <= --warmup-ms < --sim-ms")
    if a.threads < 1:
        p.error("--threads must be >= 1")
    if not (1 <= a.seed < 2**31):
        p.error("--seed must lie in [1, 2^31)")
    return a


def main(argv):
    a = parse_args(argv)
    os.environ.setdefault("PYNEST_QUIET", "1")
    t_import = time.perf_counter()
    import nest  # noqa: E402  (after PYNEST_QUIET)
    t_import = time.perf_counter() - t_import

    dt = 0.1
    J = 0.1
    D = 1.5
    tau_m = 20.0
    theta = 20.0
    n_e, n_i = a.ne, a.ni
    c_e, c_i = int(round(0.1 * n_e)), int(round(0.1 * n_i))
    if c_e < 1:
        sys.exit("C_E = round(0.1 N_E) is 0: nu_thr is undefined")
    nu_thr_hz = theta / (J * c_e * tau_m) * 1e3
    p_rate_hz = c_e * a.eta * nu_thr_hz

    if hasattr(nest, "VerbosityLevel"):
        nest.verbosity = nest.VerbosityLevel.WARNING
    else:  # NEST < 3.10
        nest.set_verbosity("M_WARNING")
    nest.ResetKernel()
    nest.SetKernelStatus({
        "resolution": dt,
        "local_num_threads": a.threads,
        "rng_seed": a.seed,
        "print_time": False,
        "overwrite_files": True,
    })

    t0 = time.perf_counter()
    neuron_params = {
        "C_m": 1.0, "tau_m": tau_m, "t_ref": 2.0, "V_th": theta,
        "V_reset": 10.0, "E_L": 0.0, "I_e": 0.0,
    }
    nodes_e = nest.Create("iaf_psc_delta", n_e, params=neuron_params)
    nodes_i = nest.Create("iaf_psc_delta", n_i, params=neuron_params)
    nodes = nodes_e + nodes_i
    nodes.V_m = nest.random.uniform(min=0.0, max=theta)
    noise = nest.Create("poisson_generator", params={"rate": p_rate_hz})
    spikes = nest.Create("spike_recorder")
    create_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    nest.Connect(noise, nodes, conn_spec="all_to_all",
                 syn_spec={"synapse_model": "static_synapse", "weight": J, "delay": D})
    nest.Connect(nodes_e, nodes,
                 conn_spec={"rule": "fixed_indegree", "indegree": c_e,
                            "allow_autapses": False, "allow_multapses": True},
                 syn_spec={"synapse_model": "static_synapse", "weight": J, "delay": D})
    nest.Connect(nodes_i, nodes,
                 conn_spec={"rule": "fixed_indegree", "indegree": c_i,
                            "allow_autapses": False, "allow_multapses": True},
                 syn_spec={"synapse_model": "static_synapse", "weight": -a.g * J, "delay": D})
    connect_s = time.perf_counter() - t0
    # The recorder is connected apart so that connect_s times the network only.
    nest.Connect(nodes, spikes)
    num_connections = int(nest.GetKernelStatus("num_connections"))
    # recurrent + Poisson + recorder synapses; the recurrent ones alone:
    recurrent = (n_e + n_i) * (c_e + c_i)

    t0 = time.perf_counter()
    nest.Simulate(a.sim_ms)
    simulate_s = time.perf_counter() - t0

    ev = spikes.get("events")
    senders = np.asarray(ev["senders"], dtype=np.int64)
    times = np.asarray(ev["times"], dtype=np.float64)
    first_e = nodes_e[0].global_id
    first_i = nodes_i[0].global_id
    t0 = time.perf_counter()
    pops = {
        "E": population_stats(senders, times, first_e, n_e, a.warmup_ms, a.sim_ms),
        "I": population_stats(senders, times, first_i, n_i, a.warmup_ms, a.sim_ms),
    }
    all_first = min(first_e, first_i)
    pops["all"] = population_stats(senders, times, all_first, n_e + n_i, a.warmup_ms, a.sim_ms)
    analyse_s = time.perf_counter() - t0

    # Recurrent synaptic events over the whole run (estimate: mean out-degree).
    spk_e_all = int(np.count_nonzero((senders >= first_e) & (senders < first_e + n_e)))
    spk_i_all = int(np.count_nonzero((senders >= first_i) & (senders < first_i + n_i)))
    n_tot = n_e + n_i
    events_est = spk_e_all * c_e * n_tot / n_e + spk_i_all * c_i * n_tot / n_i

    result = {
        "simulator": "nest",
        "nest_version": nest.__version__,
        "python": platform.python_version(),
        "argv": sys.argv,
        "params": {
            "N_E": n_e, "N_I": n_i, "C_E": c_e, "C_I": c_i, "J_mV": J, "g": a.g,
            "eta": a.eta, "D_ms": D, "dt_ms": dt, "tau_m_ms": tau_m, "theta_mV": theta,
            "V_reset_mV": 10.0, "t_ref_ms": 2.0, "nu_thr_hz": nu_thr_hz,
            "poisson_rate_hz": p_rate_hz, "seed": a.seed, "sim_ms": a.sim_ms,
            "warmup_ms": a.warmup_ms, "threads": a.threads,
        },
        "populations": pops,
        "synapses": num_connections,
        "recurrent_synapses": recurrent,
        "synaptic_events_est": int(round(events_est)),
        "spikes_total": int(len(senders)),
        "timings_s": {
            "import": t_import,
            "create": create_s,
            "connect": connect_s,
            "simulate": simulate_s,
            "analyse": analyse_s,
        },
    }

    print(f"NEST {nest.__version__}: N_E={n_e} N_I={n_i} C_E={c_e} C_I={c_i} g={a.g} "
          f"eta={a.eta} seed={a.seed} threads={a.threads}; drive {p_rate_hz:.1f} Hz per neuron")
    print(f"window {a.warmup_ms:g}..{a.sim_ms:g} ms; CV over neurons with >= 3 spikes")
    print(f"{'population':<12} {'neurons':>8} {'spikes':>9} {'rate (Hz)':>10} {'CV ISI':>8} "
          f"{'CV n':>7} {'active (%)':>10}")
    for name, s in pops.items():
        print(f"{name:<12} {s['neurons']:>8} {s['spikes']:>9} {s['rate_hz']:>10.3f} "
              f"{s['cv_isi']:>8.3f} {s['cv_n']:>7} {100 * s['active_fraction']:>10.1f}")
    print(f"create {create_s:.2f} s, connect {connect_s:.2f} s, simulate {simulate_s:.2f} s, "
          f"analyse {analyse_s:.2f} s; {num_connections} connections "
          f"({recurrent} recurrent), ~{int(round(events_est))} synaptic events")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(nan_to_none(result), f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
