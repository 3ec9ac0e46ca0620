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
# One row per (point, replicate). Average replicates and pivot into the g × eta grid.

# %%
cells = df.group_by("g", "eta").agg(
    pl.col("rate_hz").mean(), pl.col("cv_isi").mean(), pl.col("theory_rate_hz").first(),
    pl.col("regime").mode().first(),
)
rate = cells.pivot(on="g", index="eta", values="rate_hz").sort("eta")
gs = sorted(cells["g"].unique())
etas = rate["eta"].to_list()
grid = rate.select([str(g) if str(g) in rate.columns else f"{g}" for g in gs]).to_numpy()
rate

# %% [markdown]
# The simulated rate against the mean-field prediction, and the regimes.

# %%
codes = {"quiescent": 0, "SR": 1, "AI": 2, "SI-fast": 3, "SI-slow": 4, "unclassified": 5}
reg = cells.with_columns(pl.col("regime").replace_strict(codes, return_dtype=pl.Int32).alias("code"))
reg_grid = reg.pivot(on="g", index="eta", values="code").sort("eta").select(rate.columns[1:]).to_numpy()

fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
im = axes[0].imshow(grid, origin="lower", aspect="auto", cmap="viridis")
axes[0].set(title="simulated rate (Hz)", xlabel="g", ylabel="eta",
            xticks=range(len(gs)), xticklabels=gs, yticks=range(len(etas)), yticklabels=etas)
fig.colorbar(im, ax=axes[0])
axes[1].scatter(cells["theory_rate_hz"], cells["rate_hz"], s=12)
lim = [0.01, 500]
axes[1].plot(lim, lim, "k--", lw=1)
axes[1].set(xscale="log", yscale="log", xlabel="mean-field rate (Hz)", ylabel="simulated rate (Hz)",
            title="simulation vs theory")
im2 = axes[2].imshow(reg_grid, origin="lower", aspect="auto", cmap="tab10", vmin=0, vmax=9)
axes[2].set(title="regime", xlabel="g", ylabel="eta",
            xticks=range(len(gs)), xticklabels=gs, yticks=range(len(etas)), yticklabels=etas)
for name, c in codes.items():
    axes[2].plot([], [], "s", color=plt.cm.tab10(c), label=name)
axes[2].legend(loc="upper left", fontsize=7)
fig.tight_layout()
out = root / "plots" / "notebook_phase_diagram.png"
out.parent.mkdir(exist_ok=True)
fig.savefig(out, dpi=100)
print("wrote", out)

# %% [markdown]
# Provenance: every part file carries the sweep definition and its hash.

# %%
import json
meta = pl.read_parquet_metadata(str(sorted((root / "data").glob("*.parquet"))[0]))
prov = json.loads(meta["brunel_sweep"])
print(prov["name"], prov["version"], prov["definition_hash"][:12], prov["host"], prov["started"])
