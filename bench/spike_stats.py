"""Spike-train statistics shared by the reference scripts (NEST, Brian2), defined exactly as
brunel's own (src/analysis): rate over the window, mean of per-neuron CVs of ISI over neurons
with >= 3 spikes (population std, ddof = 0), fraction of neurons with >= 1 spike."""
import math

import numpy as np


def population_stats(senders, times, first_id, n, t0_ms, t1_ms):
    """Rate, mean CV of ISIs, CV count and active fraction of ids [first_id, first_id+n)."""
    sel = (senders >= first_id) & (senders < first_id + n) & (times >= t0_ms) & (times <= t1_ms)
    s = senders[sel] - first_id
    t = times[sel]
    window_s = (t1_ms - t0_ms) * 1e-3
    counts = np.bincount(s, minlength=n)
    order = np.lexsort((t, s))
    s, t = s[order], t[order]
    bounds = np.concatenate(([0], np.cumsum(counts)))
    cvs = []
    for k in np.nonzero(counts >= 3)[0]:
        isi = np.diff(t[bounds[k]:bounds[k + 1]])
        m = isi.mean()
        if m > 0:
            cvs.append(isi.std() / m)
    return {
        "neurons": int(n),
        "spikes": int(len(s)),
        "rate_hz": float(len(s) / (n * window_s)),
        "cv_isi": float(np.mean(cvs)) if cvs else float("nan"),
        "cv_n": len(cvs),
        "active_fraction": float(np.count_nonzero(counts) / n),
    }


def nan_to_none(x):
    if isinstance(x, float) and math.isnan(x):
        return None
    if isinstance(x, dict):
        return {k: nan_to_none(v) for k, v in x.items()}
    if isinstance(x, list):
        return [nan_to_none(v) for v in x]
    return x
