"""brunel.sweep and brunel.load against the CLI: the same rows, the same folder, resume."""

import json
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest

import brunel
from conftest import run_cli


def frame(table) -> pl.DataFrame:
    """Rows without the wall-clock columns, sorted by run."""
    df = pl.DataFrame(table)
    return df.drop([c for c in brunel.TIMING_COLUMNS if c in df.columns]).sort("point", "replicate")


def test_python_sweep_gives_the_cli_rows(cli_small, py_small):
    cli = frame(brunel.load(cli_small).rows)
    py = frame(py_small.rows)
    assert cli.height == 6 and cli.columns == py.columns
    assert py.equals(cli, null_equal=True)
    # The same folder: the same definition text and hash, and the same figures as the CLI.
    assert (py_small.dir / "definition.toml").read_text() == (cli_small / "definition.toml").read_text()
    assert (py_small.dir / "plots" / "regime_map.png").is_file()
    assert py_small.summary["complete"] and py_small.summary["missing"] == 0


def test_the_cli_resumes_a_python_folder_and_python_resumes_its_own(cli, small, py_small):
    before = frame(py_small.rows)
    done = run_cli(cli, "sweep", small, "--out", py_small.dir, "--threads", 1, "--no-plots")
    assert "0 to do" in done.stderr
    again = brunel.sweep(small, out=py_small.dir, threads=1, progress=False, plots=False)
    assert again.report["done_now"] == 0 and again.report["done_before"] == 6
    assert frame(again.rows).equals(before, null_equal=True)


def test_definition_as_text_or_dict_is_the_same_sweep(small, tmp_path, cli_small):
    import tomllib

    text = small.read_text()
    as_dict = tomllib.loads(text)
    from_dict = brunel.sweep(as_dict, out=tmp_path / "d", threads=2, progress=False, plots=False)
    assert frame(from_dict.rows).equals(frame(brunel.load(cli_small).rows), null_equal=True)
    # A folder of the file's text refuses the dict's text (a different definition).
    with pytest.raises(brunel.ResultsError, match="different sweep definition"):
        brunel.sweep(text.replace("seed = 18", "seed = 19"), out=cli_small, progress=False)


def test_progress_callback_counts_every_run(small, tmp_path):
    seen = []
    brunel.sweep(small, out=tmp_path / "p", threads=2, progress=lambda d, t: seen.append((d, t)), plots=False)
    assert seen[-1] == (6, 6)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_failing_progress_callback_stops_the_sweep_and_raises_its_error(small, tmp_path):
    def boom(done, total):
        if done >= 1:
            raise RuntimeError("callback broke")

    with pytest.raises(RuntimeError, match="callback broke"):
        brunel.sweep(small, out=tmp_path / "b", threads=1, progress=boom, plots=False)
    # What finished is committed and the folder resumes.
    rest = brunel.sweep(small, out=tmp_path / "b", threads=2, progress=False, plots=False)
    assert rest.report["done_before"] >= 1 and len(rest.rows) == 6


def test_zero_copy_hand_off(py_small):
    t = py_small.rows
    addr = t._t.buffer_address("rate_hz")
    table = pa.table(t)
    table.validate(full=True)
    assert table.column("rate_hz").chunks[0].buffers()[1].address == addr
    series = pl.DataFrame(t)["rate_hz"]
    assert series.to_numpy(allow_copy=False).__array_interface__["data"][0] == addr
    assert table.num_rows == len(t) == 6
    assert t.to_pandas()["regime"].tolist() == t.column("regime")


def test_regime_grid_matches_rows(py_small):
    grid = py_small.regime_grid()
    assert grid["x"] == "g" and grid["y"] == "eta"
    rows = pl.DataFrame(py_small.rows)
    for iy, eta in enumerate(grid["ys"]):
        for ix, g in enumerate(grid["xs"]):
            label = rows.filter((pl.col("g") == g) & (pl.col("eta") == eta))["regime"].to_list()
            assert grid["labels"][iy][ix] == label[0]


def test_regime_colours_are_the_cli_figures(py_small):
    # The regime map the CLI drew holds each label's colour from brunel.REGIME_COLOURS.
    from PIL import Image

    img = Image.open(py_small.dir / "plots" / "regime_map.png").convert("RGB")
    colours = {"#%02x%02x%02x" % c for _, c in img.getcolors(1 << 20)}
    for label in set(py_small.rows.column("regime")):
        assert brunel.REGIME_COLOURS[label] in colours, label


def test_theory_lines_of_the_folder(py_small):
    lines = py_small.theory_lines
    assert lines is not None and len(lines) > 0
    assert {"g", "eta", "line", "segment"} <= set(lines.columns)
