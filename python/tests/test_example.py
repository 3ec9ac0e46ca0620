"""examples/phase_diagram.py executed headless as a notebook (jupytext + nbclient), its
figure's grids checked against the rows."""

import json
import math
import os
from collections import defaultdict

import jupytext
import nbclient
import polars as pl

import brunel
from conftest import REPO, copy_folder


def test_example_notebook_draws_the_rows(py_small, tmp_path):
    root = copy_folder(py_small.dir, tmp_path / "res")
    nb = jupytext.read(REPO / "examples" / "phase_diagram.py")
    os.environ["BRUNEL_RESULTS"] = str(root)
    try:
        nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                resources={"metadata": {"path": str(REPO)}}).execute()
    finally:
        del os.environ["BRUNEL_RESULTS"]
    assert (root / "plots" / "notebook_phase_diagram.png").is_file()
    shown = json.loads((root / "plots" / "notebook_phase_diagram_grids.json").read_text())

    # The rows, computed here without the example's code.
    rows = pl.DataFrame(brunel.load(root).rows).select("g", "eta", "rate_hz", "regime").to_dicts()
    by_cell = defaultdict(list)
    for r in rows:
        by_cell[(r["g"], r["eta"])].append(r)
    gs, etas = sorted({g for g, _ in by_cell}), sorted({e for _, e in by_cell})
    assert shown["g"] == gs and shown["eta"] == etas
    for i, eta in enumerate(etas):
        for j, g in enumerate(gs):
            runs = by_cell[(g, eta)]
            rate = math.fsum(r["rate_hz"] for r in runs) / len(runs)
            assert math.isclose(shown["rate_hz"][i][j], rate, rel_tol=1e-6), (g, eta)
            label = runs[0]["regime"]  # one replicate: the majority is the row's label
            assert shown["regime"][i][j] == label, (g, eta)
            assert shown["regime_rgb"][i][j] == brunel.REGIME_COLOURS[label], (g, eta)
