"""Bad definitions and options, damaged and foreign folders: exceptions with the CLI's messages."""

import shutil
import tomllib

import pytest

import brunel
from conftest import copy_folder, run_cli


@pytest.fixture
def base(small):
    return tomllib.loads(small.read_text())


def with_(d, **kw):
    d = {**d, **kw}
    return d


@pytest.mark.parametrize("change, match", [
    (lambda d: d["fixed"].update(g="five"), "g"),
    (lambda d: d.update(seed=[1, 2]), "seed"),
    (lambda d: d.update(colour="red"), "colour"),
    (lambda d: d["axis"][0].update(values=[]), "values"),
    (lambda d: d.update(replicates=0), "replicates"),
])
def test_bad_dict_definitions(base, change, match, tmp_path):
    change(base)
    with pytest.raises(brunel.DefinitionError, match=match) as e:
        brunel.sweep(base, out=tmp_path / "x", progress=False)
    assert "<dict>" in str(e.value)
    assert not (tmp_path / "x").exists()


def test_the_cli_message_for_a_bad_file(cli, small, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(small.read_text().replace("seed = 18", "seed = \"x\""))
    cli_err = run_cli(cli, "sweep", bad, "--out", tmp_path / "c", check=False)
    assert cli_err.returncode == 2
    with pytest.raises(brunel.DefinitionError) as e:
        brunel.sweep(bad, out=tmp_path / "p", progress=False)
    assert str(e.value) in cli_err.stderr
    assert f"{bad}:" in str(e.value)


def test_bad_options(small, tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(brunel.DefinitionError, match="is a file"):
        brunel.sweep(small, out=f, progress=False)
    assert f.read_text() == "x"
    with pytest.raises(brunel.DefinitionError, match="threads=0"):
        brunel.sweep(small, out=tmp_path / "t", threads=0, progress=False)
    with pytest.raises(brunel.DefinitionError, match="shard"):
        brunel.sweep(small, out=tmp_path / "t", shard="3/2", progress=False)
    with pytest.raises(brunel.DefinitionError, match="expected a path, TOML text or a dict"):
        brunel.sweep(42, progress=False)
    with pytest.raises(brunel.DefinitionError, match="no-such.toml"):
        brunel.sweep(tmp_path / "no-such.toml", progress=False)


def test_load_of_a_damaged_folder(py_small, tmp_path):
    d = copy_folder(py_small.dir, tmp_path / "damaged")
    part = sorted((d / "data").glob("*.parquet"))[0]
    data = bytearray(part.read_bytes())
    data[len(data) // 2] ^= 0xFF
    part.write_bytes(bytes(data))
    with pytest.raises(brunel.ResultsError, match=part.name):
        brunel.load(d)
    # Read-only: the damaged file is left where it was.
    assert part.read_bytes() == bytes(data)
    # The sweep moves it to quarantine/ and redoes its runs.
    again = brunel.sweep(d / "definition.toml", out=d, progress=False, plots=False)
    assert again.report["quarantined"] and len(again.rows) == 6


def test_load_of_what_is_not_a_results_folder(tmp_path, py_small):
    with pytest.raises(brunel.ResultsError, match="no such folder"):
        brunel.load(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(brunel.ResultsError, match="definition.toml"):
        brunel.load(tmp_path / "empty")
    d = copy_folder(py_small.dir, tmp_path / "edited")
    (d / "definition.toml").write_text((d / "definition.toml").read_text().replace("seed = 18", "seed = 1"))
    with pytest.raises(brunel.ResultsError, match="damaged or was edited"):
        brunel.load(d)


def test_load_writes_nothing(py_small):
    def listing():
        return sorted((p.relative_to(py_small.dir), p.stat().st_mtime_ns, p.stat().st_size)
                      for p in py_small.dir.rglob("*"))
    before = listing()
    brunel.load(py_small.dir).rows
    assert listing() == before
