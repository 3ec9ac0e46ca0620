"""brunel: Brunel (2000) networks of excitatory and inhibitory LIF neurons, from Python.

The same engine, sweep runner, results folders and theory as the ``brunel`` command line,
with the same names::

    import brunel
    run = brunel.simulate(model="brunel", seed=1, duration_ms=300, N_E=400, g=5, eta=2)
    run.measures["rate_hz"], run.regime
    s = brunel.sweep("sweeps/brunel-phase-quick.toml")   # resumes like `brunel sweep`
    pl.DataFrame(s.rows)                                  # zero-copy (Arrow PyCapsule)
    s.regime_map()

Long calls release the GIL; KeyboardInterrupt stops a sweep cleanly (``Interrupted``).
With ``multiprocessing``, use the ``spawn`` start method (never ``fork``).
"""

from __future__ import annotations

import json
import numbers
import os
import sys
from pathlib import Path
from typing import Any, Callable, Mapping

from . import _core
from ._core import BrunelError, DefinitionError, ResultsError
from ._table import Table
from . import _progress

__version__ = _core.__version__

__all__ = [
    "simulate", "sweep", "load", "theory", "boundaries", "params", "models",
    "Run", "Sweep", "Table", "Interrupted", "BrunelError", "DefinitionError",
    "ResultsError", "REGIME_COLOURS", "TIMING_COLUMNS", "DEFAULT_REGULAR_MAX_CV", "DEFAULT_MAX_RUNS",
]

#: The colour of each regime label in the CLI's figures (``#rrggbb``), read from the engine.
REGIME_COLOURS: dict[str, str] = dict(_core.regime_colours())

#: The regularity threshold the CLI uses by default (an asynchronous state with a CV below
#: it is AR, else AI).
DEFAULT_REGULAR_MAX_CV: float = _core.DEFAULT_REGULAR_MAX_CV

#: Columns of sweep rows that hold wall-clock times: they differ between runs of one seed.
TIMING_COLUMNS: tuple[str, ...] = tuple(_core.TIMING_COLUMNS)

#: The CLI's default ``--max-runs``.
DEFAULT_MAX_RUNS: int = _core.DEFAULT_MAX_RUNS


class Interrupted(KeyboardInterrupt):
    """A sweep stopped by KeyboardInterrupt. Finished runs are committed; ``done`` of
    ``total`` runs of this shard are complete; calling ``resume`` (the same call again)
    goes on from there."""

    def __init__(self, message: str, done: int, total: int, resume: str, out: Path):
        super().__init__(message)
        self.done, self.total, self.resume, self.out = done, total, resume, out

    def __str__(self) -> str:
        return self.args[0]


def _number(name: str, value: Any) -> float:
    """``value`` as a float, or a DefinitionError naming the parameter."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise DefinitionError(
            f"parameter {name} = {value!r}: expected a number, got {type(value).__name__}")
    return float(value)


def _params(params: Mapping[str, Any]) -> list[tuple[str, float]]:
    return [(str(k), _number(k, v)) for k, v in params.items()]


def _seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed < 2**64:
        raise DefinitionError(f"seed = {seed!r}: expected a whole number from 0 to 2^64 - 1")
    return int(seed)


def _axes(ax):
    """``ax``, or new matplotlib axes."""
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("drawing needs matplotlib: pip install matplotlib") from None
    return plt.subplots()[1]


class Run:
    """One simulated network (``brunel.simulate``): measures, regime, theory and spikes."""

    def __init__(self, handle: _core.RunHandle):
        self._h = handle
        self.summary: dict = json.loads(handle.summary_json())
        """Everything ``brunel simulate`` writes to summary.json for this run."""

    @property
    def measures(self) -> dict:
        """The measures (rates, CV of ISI, Fano factor, synchrony, spectrum) as summary.json
        holds them; NaN is None."""
        return self.summary["measures"]

    @property
    def regime(self) -> str:
        """The regime label: quiescent, SR, AR, AI, SI-fast, SI-slow or unclassified."""
        return self.summary["regime"]

    @property
    def theory(self) -> dict | None:
        """The mean-field prediction (model brunel): stationary states, the stable state
        nearest the simulated rate, its stability and label; None for other models."""
        return self.summary["theory"]

    @property
    def params(self) -> dict[str, float]:
        """Every parameter of the run."""
        return self.summary["params"]

    @property
    def spikes(self) -> Table:
        """Every spike: columns population, neuron, time_ms."""
        return Table(self._h.spikes())

    def rate(self, bin_ms: float, population: str | None = None):
        """The population rate in Hz per neuron, in bins of ``bin_ms`` (a multiple of dt)
        over the whole run, as a numpy array; ``population`` ("E", "I") or all neurons."""
        import numpy as np

        return np.asarray(self._h.rate(float(bin_ms), population), dtype=float)

    def _times(self, population: str | None = None):
        import numpy as np

        t = self.spikes
        pops = np.asarray(t.column("population"), dtype=object)
        times = np.asarray(t.column("time_ms"), dtype=float)
        neurons = np.asarray(t.column("neuron"), dtype=np.int64)
        return pops, times, neurons

    def raster(self, ax=None, max_neurons: int = 200):
        """A raster of spikes (time against neuron, E above I) on matplotlib axes ``ax``
        (new ones when None); at most ``max_neurons`` neurons, taken in proportion."""
        import numpy as np

        ax = _axes(ax)
        pops, times, neurons = self._times()
        sizes = self._h.populations()
        total = sum(n for _, n in sizes)
        offset = 0
        for name, n in sizes:
            keep = max(1, round(max_neurons * n / max(total, 1)))
            sel = (pops == name) & (neurons < keep)
            ax.scatter(times[sel], neurons[sel] + offset, s=1, marker="|",
                       color=REGIME_COLOURS["SR"] if name == "E" else REGIME_COLOURS["SI-fast"],
                       label=name)
            offset += keep
        ax.set(xlabel="time (ms)", ylabel="neuron", title=f"{self.summary['model']} — seed {self.summary['seed']}")
        return ax

    def fig8(self, ax=None, window_ms: tuple[float, float] | None = None, neurons: int = 50):
        """Brunel's Fig. 8 panel: ``neurons`` neurons' spikes above the population rate (bins
        of dt) over ``window_ms`` (default: the last 200 ms). ``ax``: two matplotlib axes,
        or None for a new figure. Returns the axes."""
        import numpy as np

        if ax is None:
            import matplotlib.pyplot as plt

            ax = plt.subplots(2, 1, sharex=True, figsize=(8, 5))[1]
        top, bottom = ax
        dt, duration = self._h.clock()
        a, b = window_ms if window_ms is not None else (max(0.0, duration - 200.0), duration)
        pops, times, ns = self._times()
        sel = (times >= a) & (times <= b) & (ns < neurons) & (pops == "E")
        top.scatter(times[sel], ns[sel], s=2, marker="|", color="black")
        top.set(ylabel="neuron", title=f"g = {self.params.get('g')}, eta = {self.params.get('eta')}: {self.regime}")
        r = self.rate(dt)
        t = (np.arange(len(r)) + 1) * dt
        w = (t > a) & (t <= b)
        bottom.plot(t[w], r[w], color="black", lw=0.5)
        bottom.set(xlabel="time (ms)", ylabel="rate (Hz)")
        return ax

    def __repr__(self) -> str:
        m = self.measures
        return (f"<brunel Run: model {self.summary['model']}, seed {self.summary['seed']}, "
                f"{m['all']['rate_hz']} Hz, regime {self.regime}>")


def simulate(model: str = "brunel", seed: int = 1, duration_ms: float | None = None,
             **params: float) -> Run:
    """Simulate one network, as ``brunel simulate`` does (no files written).

    Args:
        model: a model preset (``brunel.models()``).
        seed: the seed of every random draw (connectivity, initial values, drive).
        duration_ms: simulated time in ms (default: the model's ``duration_ms``).
        **params: parameter overrides by name, e.g. ``g=5, eta=2, N_E=400``
            (``brunel.params(model)`` lists names, units and ranges).

    Returns a ``Run``. Raises ``DefinitionError`` for an unknown model or parameter, or a
    value out of range. The GIL is released while it runs.
    """
    seed = _seed(seed)
    d = None if duration_ms is None else _number("duration_ms", duration_ms)
    return Run(_core.simulate(str(model), seed, _params(params), d))


class Sweep:
    """A sweep results folder (``brunel.sweep`` or ``brunel.load``), read-only."""

    def __init__(self, handle: _core.SweepHandle, report: dict | None = None):
        self._h = handle
        self.report = report
        """What the ``brunel.sweep`` call did (runs done, failed, figures), None for ``load``."""
        self.summary: dict = json.loads(handle.summary_json())
        """Counts (rows, missing, regimes), the axes, and the CLI's regime table (``table``)."""

    @property
    def dir(self) -> Path:
        """The results folder."""
        return Path(self.summary["dir"])

    @property
    def rows(self) -> Table:
        """Every complete run, one row per (point, replicate), sorted: parameters, seed,
        measures, regime, theory (the columns of the Parquet part files)."""
        return Table(self._h.rows())

    @property
    def theory_lines(self) -> Table | None:
        """The theory's boundary lines drawn on the regime map (theory_lines.parquet), or
        None when the figures drew none (axes not g and eta, or no figures yet)."""
        t = self._h.theory_lines()
        return None if t is None else Table(t)

    @property
    def definition(self) -> str:
        """The definition's TOML text, as stored in the folder."""
        return self._h.definition()

    def regime_grid(self) -> dict:
        """The regime map's cells as the CLI draws them: ``x``/``y`` (names),
        ``xs``/``ys`` (values) and ``labels[iy][ix]`` (majority over replicates; None: no run)."""
        x, xs, y, ys, labels = self._h.regime_grid()
        return {"x": x, "xs": xs, "y": y, "ys": ys, "labels": labels}

    def regime_map(self, ax=None, lines: bool = True):
        """Draw the regime map (the CLI's colours, ``REGIME_COLOURS``) and, when the folder
        has them, the theory's lines. ``ax``: matplotlib axes or None. Returns the axes."""
        import numpy as np
        from matplotlib.colors import ListedColormap
        from matplotlib.patches import Patch

        ax = _axes(ax)
        grid = self.regime_grid()
        names = list(REGIME_COLOURS)
        codes = np.array([[np.nan if c is None else names.index(c) for c in row]
                          for row in grid["labels"]], dtype=float)
        xs, ys = grid["xs"], grid["ys"]
        ax.imshow(codes, origin="lower", aspect="auto", interpolation="nearest",
                  cmap=ListedColormap([REGIME_COLOURS[n] for n in names]),
                  vmin=-0.5, vmax=len(names) - 0.5,
                  extent=_extent(xs, ys))
        if lines and self.theory_lines is not None and grid["x"] == "g" and grid["y"] == "eta":
            t = self.theory_lines
            g, eta, seg = t.column("g"), t.column("eta"), t.column("segment")
            for s in sorted(set(seg)):
                pts = [(a, b) for a, b, k in zip(g, eta, seg) if k == s]
                ax.plot([p[0] for p in pts], [p[1] for p in pts], "k--", lw=1)
            ax.set(xlim=_extent(xs, ys)[:2], ylim=_extent(xs, ys)[2:])
        present = sorted({c for row in grid["labels"] for c in row if c}, key=names.index)
        ax.legend(handles=[Patch(color=REGIME_COLOURS[n], label=n) for n in present],
                  loc="upper left", fontsize="small")
        ax.set(xlabel=grid["x"], ylabel=grid["y"] or "", title=self.summary["name"])
        return ax

    def __repr__(self) -> str:
        s = self.summary
        return f"<brunel Sweep {s['name']}: {s['rows']} rows, {s['missing']} missing, in {s['dir']}>"


def _extent(xs, ys):
    def edges(v):
        if len(v) == 1:
            return v[0] - 0.5, v[0] + 0.5
        return v[0] - (v[1] - v[0]) / 2, v[-1] + (v[-1] - v[-2]) / 2
    return (*edges(xs), *edges(ys))


def _definition(definition) -> tuple[str | None, str | None, str]:
    """(path, text, source) of a definition given as a path, TOML text or dict."""
    if definition is None:
        return None, None, "embedded default"
    if isinstance(definition, Mapping):
        try:
            text = json.dumps(definition, allow_nan=False)
        except (TypeError, ValueError) as e:
            raise DefinitionError(f"definition dict: {e}; expected the keys and values of a sweep file") from None
        return None, _core.definition_from_json(text), "<dict>"
    if isinstance(definition, os.PathLike):
        return os.fspath(definition), None, os.fspath(definition)
    if isinstance(definition, str):
        if "\n" in definition or "=" in definition:
            return None, definition, "<string>"
        return definition, None, definition
    raise DefinitionError(
        f"definition = {definition!r}: expected a path, TOML text or a dict, got {type(definition).__name__}")


def _with_dict_line(e: DefinitionError, text: str | None, source: str) -> DefinitionError:
    """For a dict definition, the error with the line of the TOML made from it that it names."""
    import re

    m = re.match(r"<dict>:(\d+):", str(e))
    if source != "<dict>" or text is None or m is None:
        return e
    lines = text.splitlines()
    n = int(m.group(1))
    if not 1 <= n <= len(lines):
        return e
    return DefinitionError(f"{e} (line {n} of the TOML made from the dict: `{lines[n - 1].strip()}`)")


def sweep(definition: str | os.PathLike | Mapping | None = None, out: str | os.PathLike | None = None,
          threads: int | None = None, progress: bool | Callable[[int, int], None] = True,
          shard: str | None = None, *, flush_every_s: float = 60.0, plots: bool = True,
          max_runs: int = DEFAULT_MAX_RUNS) -> Sweep:
    """Run a sweep into a results folder, exactly as ``brunel sweep`` does.

    Args:
        definition: a path to a TOML definition (see sweeps/), TOML text, or a dict with the
            same keys as a file; None: the embedded default (sweeps/brunel-phase-quick.toml).
        out: the results folder (default ``results/<name>``). A folder of the same
            definition is resumed: complete runs are kept, the rest are run; a folder of
            another definition is refused (``ResultsError``).
        threads: worker threads (default: $SLURM_CPUS_PER_TASK, else every core). Each call
            builds its own thread pool and drops it at the end.
        progress: True: a tqdm bar (tqdm.auto) if tqdm is installed, else a line on stderr
            every 10 s; False: nothing; a callable: called with (done, total).
        shard: run only shard "I/N" (0-based), as ``--shard``; default from SLURM's array
            variables, else everything.
        flush_every_s: commit finished runs to a part file at least this often.
        plots: draw the CLI's figures into ``out/plots`` when the folder is complete.
        max_runs: refuse definitions of more runs (the CLI's ``--max-runs``).

    Returns a ``Sweep`` of the folder. Raises ``DefinitionError`` (bad definition or option,
    the CLI's message naming file, line and field), ``ResultsError`` (a folder of another
    definition, damaged, or in use by another process, which it names) and ``Interrupted``
    (a KeyboardInterrupt: finished runs are committed; the same call resumes). A run that
    fails is a row with regime "failed" and its message in ``error``. The GIL is released
    while the runs go on; runs in flight finish before an interrupt takes effect.
    """
    path, text, source = _definition(definition)
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, numbers.Integral) or threads < 0):
        raise DefinitionError(f"threads = {threads!r}: expected a whole number >= 1")
    if shard is not None and not isinstance(shard, str):
        raise DefinitionError(f"shard = {shard!r}: expected \"I/N\", e.g. \"0/4\"")
    if out is not None and not isinstance(out, (str, os.PathLike)):
        raise DefinitionError(f"out = {out!r}: expected a folder path")
    flush = _number("flush_every_s", flush_every_s)
    label = Path(source).stem if path else "sweep"
    callback, close = _progress.make(progress, label)
    warn = lambda message: print(f"warning: {message}", file=sys.stderr)  # noqa: E731
    try:
        report_text, stopped = _core.sweep(
            path, text, source, None if out is None else os.fspath(out),
            None if threads is None else int(threads), shard, flush, bool(plots),
            int(max_runs), callback, warn)
    except DefinitionError as e:
        raise _with_dict_line(e, text, source) from None
    finally:
        close()
    report = json.loads(report_text)
    for q in report["quarantined"]:
        print(f"warning: damaged part file {q}; its runs were redone", file=sys.stderr)
    if report["failed"]:
        print(f"warning: {len(report['failed'])} run(s) failed; their rows say regime = \"failed\" "
              f"with the reason in column `error` (first: {report['failed'][0]})", file=sys.stderr)
    out_dir = Path(report["out"])
    if stopped is not None or report["interrupted"]:
        if stopped is not None and not isinstance(stopped, KeyboardInterrupt):
            raise stopped
        call = f"brunel.sweep({definition!r}, out={str(out_dir)!r}" if not isinstance(definition, Mapping) \
            else f"brunel.sweep(<the same dict>, out={str(out_dir)!r}"
        call += f", shard={shard!r})" if shard else ")"
        done = report["done_before"] + report["done_now"]
        drawing = report.get("finish", {}).get("stopped")
        why = (f"stopped: results could not be written ({report['write_error']})" if report["write_error"]
               else f"stopped by KeyboardInterrupt while drawing figures, after every run was committed ({drawing})"
               if drawing else "stopped by KeyboardInterrupt")
        raise Interrupted(f"{why}: {done} of {report['shard_runs']} runs of this shard are complete "
                          f"in {out_dir}; resume with: {call}", done, report["shard_runs"], call, out_dir)
    return Sweep(_core.load(str(out_dir), int(max_runs)), report)


def load(dir: str | os.PathLike, max_runs: int = DEFAULT_MAX_RUNS) -> Sweep:
    """Open a sweep results folder read-only: every part file's checksum is verified,
    nothing is written. A folder still being written is read as far as it is committed.

    Args:
        dir: the results folder (made by ``brunel sweep``, SLURM shards or ``brunel.sweep``).
        max_runs: refuse a stored definition of more runs (the CLI's ``--max-runs``).

    Returns a ``Sweep``. Raises ``ResultsError`` for a missing, damaged or foreign folder.
    """
    return Sweep(_core.load(os.fspath(dir), int(max_runs)))


def theory(model: str = "brunel", regular_max_cv: float = DEFAULT_REGULAR_MAX_CV,
           **params: float) -> dict:
    """The mean-field theory at one parameter set (``brunel theory --json``).

    Args:
        model: a model with a mean field (brunel).
        regular_max_cv: an asynchronous state with a stationary CV below it is AR, else AI.
        **params: parameters by name, e.g. ``g=5, eta=2``.

    Returns a dict: ``rates_hz`` (every stationary rate), ``states`` (each with its
    stability), and for the lowest stable state ``eigenvalues`` (growth_per_s,
    frequency_hz), ``regime`` (the theory's label) and ``spectrum_peak``.
    """
    cv = _number("regular_max_cv", regular_max_cv)
    return json.loads(_core.theory(str(model), _params(params), cv))


def boundaries(g: tuple[float, float] = (0.0, 8.0), eta: tuple[float, float] = (0.0, 4.0),
               regular_max_cv: float = DEFAULT_REGULAR_MAX_CV, **params: float) -> Table:
    """The theory's boundary lines over a g × eta region (``brunel theory --boundaries``,
    Brunel 2000 Fig. 2).

    Args:
        g: the g range (A, B), 0 <= A < B.
        eta: the eta range (A, B), 0 <= A < B.
        regular_max_cv: the regularity threshold of the AR|AI line.
        **params: other parameters of model brunel by name (``D_ms=3``).

    Returns a ``Table``: line, kind, segment, point, g, eta, frequency_hz, nu0_hz.
    """
    def pair(name, v):
        try:
            a, b = v
        except (TypeError, ValueError):
            raise DefinitionError(f"{name} = {v!r}: expected a pair (A, B) with 0 <= A < B") from None
        return _number(name, a), _number(name, b)
    cv = _number("regular_max_cv", regular_max_cv)
    return Table(_core.boundaries(pair("g", g), pair("eta", eta), _params(params), cv))


def params(model: str) -> dict[str, dict]:
    """Every parameter of ``model``: name → {default, unit, allowed, meaning}."""
    return {n: {"default": d, "unit": u, "allowed": a, "meaning": m}
            for n, d, u, a, m in _core.params(str(model))}


def models() -> dict[str, str]:
    """The model presets: name → one-line summary."""
    return dict(_core.models())
