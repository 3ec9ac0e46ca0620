# %% [markdown]
# # Brunel's phase diagram from a `brunel sweep` results folder
#
# Cells for Jupyter (jupytext "percent" format: open as a notebook, or run as a script).
# Produce the data first, e.g. with the embedded default sweep:
#
#     cargo run --release -- sweep            # writes results/brunel-phase-quick/
#
# then `python examples/phase_diagram.py [RESULTS_DIR]`.

# %%
import sys
from pathlib import Path

import matplotlib

if "ipykernel" not in sys.modules:
    matplotlib.use("Agg")
import matplotlib.pyplot as plt
import polars as pl

root = Path(sys.argv[1]) if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else Path("results/brunel-phase-quick")
df = pl.scan_parquet(str(root / "data")).collect()   # all part files as one table
print(df.shape)
df.select("g", "eta", "replicate", "rate_hz", "cv_isi", "chi", "regime", "theory_rate_hz").head()

# %% [markdown]
# One row per (point, replicate). Average replicates into one cell per (g, eta) — the regime
# is the label most replicates got (ties go to the earlier label in `codes`) — and lay the
# cells out as eta × g grids. Every panel uses the same ascending `gs` and `etas`.

# %%
# "failed": the run errored (its `error` column says why; its measures are NaN, drawn blank).
codes = {"quiescent": 0, "SR": 1, "AR": 2, "AI": 3, "SI-fast": 4, "SI-slow": 5, "unclassified": 6, "failed": 7}
gs = sorted(df["g"].unique().to_list())
etas = sorted(df["eta"].unique().to_list())

votes = (
    df.group_by("g", "eta", "regime").agg(pl.len().alias("n"))
    .with_columns(pl.col("regime").replace_strict(codes, return_dtype=pl.Int32).alias("code"))
)
cells = df.group_by("g", "eta").agg(pl.col("rate_hz", "cv_isi", "theory_rate_hz").mean()).join(
    votes.group_by("g", "eta").agg(pl.col("regime").sort_by("n", "code", descending=[True, False]).first()),
    on=["g", "eta"],
)


def grid(cells, value):
    """cells[value] as a nested list: row i is etas[i], column j is gs[j]; None where no run."""
    at = {(g, eta): v for g, eta, v in cells.select("g", "eta", value).iter_rows()}
    return [[at.get((g, eta)) for g in gs] for eta in etas]


grids = {name: grid(cells, name) for name in ("rate_hz", "theory_rate_hz", "regime")}
pl.DataFrame({"eta": etas, **{f"g={g}": [row[j] for row in grids["rate_hz"]] for j, g in enumerate(gs)}})

# %% [markdown]
# The simulated rate, the simulation against the mean-field prediction, and the regimes.

# %%
import json

import numpy as np

rate = np.array(grids["rate_hz"], dtype=float)           # None (no run) -> NaN, left blank
theory = np.array(grids["theory_rate_hz"], dtype=float)
regime = np.array([[codes.get(r, np.nan) for r in row] for row in grids["regime"]], dtype=float)

fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
ticks = dict(xlabel="g", ylabel="eta", xticks=range(len(gs)), xticklabels=gs,
             yticks=range(len(etas)), yticklabels=etas)
im = axes[0].imshow(rate, origin="lower", aspect="auto", cmap="viridis")
axes[0].set(title="simulated rate (Hz)", **ticks)
fig.colorbar(im, ax=axes[0])

# Quiescent points have mean-field rates ~1e-20 Hz and simulated rates of 0: on log axes they
# would stretch the axis to 1e-21 (or vanish), so rates below FLOOR are drawn at FLOOR.
FLOOR = 0.01
top = max(np.nanmax(rate), np.nanmax(theory), 1.0) * 2
x, y = np.clip(theory, FLOOR, None).ravel(), np.clip(rate, FLOOR, None).ravel()
axes[1].scatter(x, y, s=14, c=regime.ravel(), cmap="tab10", vmin=0, vmax=9)
axes[1].plot([FLOOR, top], [FLOOR, top], "k--", lw=1)
axes[1].set(xscale="log", yscale="log", xlim=(FLOOR / 1.5, top), ylim=(FLOOR / 1.5, top),
            xlabel=f"mean-field rate (Hz; < {FLOOR} drawn at {FLOOR})",
            ylabel=f"simulated rate (Hz; < {FLOOR} drawn at {FLOOR})", title="simulation vs theory")

axes[2].imshow(regime, origin="lower", aspect="auto", cmap="tab10", vmin=0, vmax=9)
axes[2].set(title="regime", **ticks)
# The theory's boundary lines (Brunel 2000 Fig. 2), written by `brunel sweep`/`brunel plot` for
# maps over g and eta: one row per traced point (line, g, eta, frequency_hz, nu0_hz). The map's
# cells sit at index positions, so values are mapped to fractional indices.
lines_file = root / "theory_lines.parquet"
if lines_file.exists() and len(gs) > 1 and len(etas) > 1:
    lines = pl.read_parquet(lines_file)
    for (name, segment), pts in lines.group_by("line", "segment", maintain_order=True):
        gx = np.interp(pts["g"].to_numpy(), gs, range(len(gs)), left=np.nan, right=np.nan)
        ey = np.interp(pts["eta"].to_numpy(), etas, range(len(etas)), left=np.nan, right=np.nan)
        axes[2].plot(gx, ey, "k--", lw=1.2)
        ok = np.isfinite(gx) & np.isfinite(ey)
        if ok.any():
            k = np.flatnonzero(ok)[ok.sum() // 2]
            axes[2].annotate(name, (gx[k], ey[k]), fontsize=6)
for name, c in codes.items():
    axes[2].plot([], [], "s", color=plt.cm.tab10(c), label=name)
axes[2].legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=7)  # beside the map, not over it
fig.tight_layout()
out = root / "plots" / "notebook_phase_diagram.png"
out.parent.mkdir(exist_ok=True)
fig.savefig(out, dpi=100)
# The plotted grids, for checking the figure against the rows (tests/python/check_results.py).
(out.parent / "notebook_phase_diagram_grids.json").write_text(json.dumps({"g": gs, "eta": etas, **grids}))
print("wrote", out)

# %% [markdown]
# Provenance: every part file carries the sweep definition and its hash.

# %%
meta = pl.read_parquet_metadata(str(sorted((root / "data").glob("*.parquet"))[0]))
prov = json.loads(meta["brunel_sweep"])
print(prov["name"], prov["version"], prov["definition_hash"][:12], prov["host"], prov["started"])
