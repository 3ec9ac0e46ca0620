# %% [markdown]
# # Brunel's phase diagram with the `brunel` Python package
#
# Cells for Jupyter (jupytext "percent" format: open as a notebook, or run as a script).
# Install the package once (needs Rust >= 1.85): `pip install ./python`. This notebook loads
# a results folder if it exists, or runs the quick map into it (a few minutes on 2 cores;
# interrupt the cell and run it again to resume):
#
#     python examples/phase_diagram.py [RESULTS_DIR]      # or BRUNEL_RESULTS=DIR
#
# The default folder is results/brunel-phase-quick (the CLI's `brunel sweep` writes the same).

# %%
import json
import os
import sys
from pathlib import Path

import matplotlib

if "ipykernel" not in sys.modules:
    matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import polars as pl
from matplotlib.colors import ListedColormap

import brunel

arg = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else None
root = Path(os.environ.get("BRUNEL_RESULTS") or arg or "results/brunel-phase-quick")
if (root / "definition.toml").exists():
    s = brunel.load(root)            # read-only, checksums verified
else:
    s = brunel.sweep("sweeps/brunel-phase-quick.toml", out=root)
df = pl.DataFrame(s.rows)            # zero-copy (Arrow PyCapsule stream)
print(s, df.shape)
df.select("g", "eta", "replicate", "rate_hz", "cv_isi", "chi", "regime", "theory_rate_hz").head()

# %% [markdown]
# One row per (point, replicate). Rates are averaged over replicates into one cell per
# (g, eta); the regime of a cell is the one the CLI's regime map shows
# (`Sweep.regime_grid()`: the label most replicates got). Every panel uses the same
# ascending `gs` and `etas`.

# %%
grid = s.regime_grid()
gs, etas = grid["xs"], grid["ys"]
cells = df.group_by("g", "eta").agg(pl.col("rate_hz", "theory_rate_hz").mean())


def grid_of(value):
    """cells[value] as a nested list: row i is etas[i], column j is gs[j]; None where no run."""
    at = {(g, eta): v for g, eta, v in cells.select("g", "eta", value).iter_rows()}
    return [[at.get((g, eta)) for g in gs] for eta in etas]


rate = np.array(grid_of("rate_hz"), dtype=float)              # None (no run) -> NaN, left blank
theory = np.array(grid_of("theory_rate_hz"), dtype=float)
labels = list(brunel.REGIME_COLOURS)                           # the CLI's regimes and colours
regime = np.array([[np.nan if c is None else labels.index(c) for c in row] for row in grid["labels"]])
regime_cmap = ListedColormap([brunel.REGIME_COLOURS[n] for n in labels])

# %% [markdown]
# The simulated rate, the simulation against the mean-field prediction, and the regimes with
# the theory's boundary lines (Brunel 2000 Fig. 2), in the CLI's colours.

# %%
fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
ticks = dict(xlabel="g", ylabel="eta", xticks=range(len(gs)), xticklabels=gs,
             yticks=range(len(etas)), yticklabels=etas)
im = axes[0].imshow(np.ma.masked_invalid(rate), origin="lower", aspect="auto", cmap="viridis")
axes[0].set(title="simulated rate (Hz)", **ticks)
fig.colorbar(im, ax=axes[0])

# Quiescent points have mean-field rates ~1e-20 Hz and simulated rates of 0: on log axes they
# would stretch the axis to 1e-21 (or vanish), so rates below FLOOR are drawn at FLOOR.
FLOOR = 0.01
top = max(np.nanmax(rate), np.nanmax(theory), 1.0) * 2
x, y = np.clip(theory, FLOOR, None).ravel(), np.clip(rate, FLOOR, None).ravel()
axes[1].scatter(x, y, s=14, c=regime.ravel(), cmap=regime_cmap, vmin=-0.5, vmax=len(labels) - 0.5)
axes[1].plot([FLOOR, top], [FLOOR, top], "k--", lw=1)
axes[1].set(xscale="log", yscale="log", xlim=(FLOOR / 1.5, top), ylim=(FLOOR / 1.5, top),
            xlabel=f"mean-field rate (Hz; < {FLOOR} drawn at {FLOOR})",
            ylabel=f"simulated rate (Hz; < {FLOOR} drawn at {FLOOR})", title="simulation vs theory")

axes[2].imshow(np.ma.masked_invalid(regime), origin="lower", aspect="auto", cmap=regime_cmap,
               vmin=-0.5, vmax=len(labels) - 0.5, interpolation="nearest")
axes[2].set(title="regime", **ticks)
# The theory's lines as the CLI drew them (theory_lines.parquet, for maps over g and eta).
# The map's cells sit at index positions, so values are mapped to fractional indices.
lines = s.theory_lines
if lines is not None and len(gs) > 1 and len(etas) > 1:
    for (name, segment), pts in pl.DataFrame(lines).group_by("line", "segment", maintain_order=True):
        gx = np.interp(pts["g"].to_numpy(), gs, range(len(gs)), left=np.nan, right=np.nan)
        ey = np.interp(pts["eta"].to_numpy(), etas, range(len(etas)), left=np.nan, right=np.nan)
        axes[2].plot(gx, ey, "k--", lw=1.2)
        ok = np.isfinite(gx) & np.isfinite(ey)
        if ok.any():
            k = np.flatnonzero(ok)[ok.sum() // 2]
            axes[2].annotate(name, (gx[k], ey[k]), fontsize=6)
for name in labels:
    axes[2].plot([], [], "s", color=brunel.REGIME_COLOURS[name], markeredgecolor="0.4", label=name)
axes[2].legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=7)  # beside the map, not over it
fig.tight_layout()
out = root / "plots" / "notebook_phase_diagram.png"
out.parent.mkdir(exist_ok=True)
fig.savefig(out, dpi=100)

# %% [markdown]
# What the figure shows, read back from its images (for python/tests/test_example.py, which
# checks it against the rows): the rate grid, and per cell the regime's label and colour.

# %%
def drawn(image):
    a = image.get_array()
    return [[None if a.mask[i, j] else float(a[i, j]) for j in range(a.shape[1])] for i in range(a.shape[0])]


regime_image = axes[2].images[0]
shown_codes = drawn(regime_image)
shown = {
    "g": gs, "eta": etas,
    "rate_hz": drawn(axes[0].images[0]),
    "regime": [[None if c is None else labels[int(c)] for c in row] for row in shown_codes],
    "regime_rgb": [[None if c is None else matplotlib.colors.to_hex(regime_image.cmap(regime_image.norm(c)))
                    for c in row] for row in shown_codes],
}
(out.parent / "notebook_phase_diagram_grids.json").write_text(json.dumps(shown))
print("wrote", out)

# %% [markdown]
# Provenance: every part file carries the sweep definition and its hash.

# %%
meta = pl.read_parquet_metadata(str(sorted((root / "data").glob("*.parquet"))[0]))
prov = json.loads(meta["brunel_sweep"])
print(prov["name"], prov["version"], prov["definition_hash"][:12], prov["host"], prov["started"])
