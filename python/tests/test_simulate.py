"""brunel.simulate, theory, boundaries, params and models against the CLI."""

import inspect
import json

import numpy as np
import pytest

import brunel
from conftest import run_cli

SMALL = dict(N_E=400, N_I=100, epsilon=0.2, g=5, eta=2)


@pytest.fixture(scope="module")
def run():
    return brunel.simulate(model="brunel", seed=3, duration_ms=300, **SMALL)


def test_measures_equal_the_cli_summary(cli, run, tmp_path):
    sets = [a for k, v in SMALL.items() for a in ("--set", f"{k}={v}")]
    run_cli(cli, "simulate", "--model", "brunel", "--seed", 3, "--duration-ms", 300, *sets, "--out", tmp_path)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert run.measures == summary["measures"]
    assert run.regime == summary["regime"]
    assert run.theory == summary["theory"]
    assert run.params == summary["params"]


def test_rate_and_spikes_agree(run):
    spikes = run.spikes
    assert spikes.columns == ["population", "neuron", "time_ms"]
    n = 500
    rate = run.rate(1.0)
    assert rate.shape == (300,)
    # Mean of the binned rate over the whole run = all spikes / (neurons × time).
    assert np.isclose(rate.mean(), len(spikes) / (n * 0.3))
    e = run.rate(2.0, "E")
    assert e.shape == (150,)
    assert np.isclose(e.sum() * 400 * 2e-3, spikes.column("population").count("E"))
    with pytest.raises(brunel.DefinitionError, match="population `X`"):
        run.rate(1.0, "X")
    with pytest.raises(brunel.DefinitionError, match="bin_ms"):
        run.rate(0.0)


def test_raster_and_fig8_draw(run):
    import matplotlib

    matplotlib.use("Agg")
    ax = run.raster()
    assert sum(len(c.get_offsets()) for c in ax.collections) > 0
    top, bottom = run.fig8()
    assert len(bottom.lines[0].get_xdata()) == 2000  # the last 200 ms in bins of dt


def test_theory_is_the_cli_json(cli):
    got = brunel.theory(g=5, eta=2)
    want = json.loads(run_cli(cli, "theory", "--json", "--set", "g=5", "--set", "eta=2").stdout)
    assert got == want
    assert got["regime"] in brunel.REGIME_COLOURS


def test_boundaries_table():
    t = brunel.boundaries(g=(3, 6), eta=(1, 3))
    assert t.columns == ["line", "kind", "segment", "point", "g", "eta", "frequency_hz", "nu0_hz"]
    g = np.asarray(t.column("g"))
    assert len(g) > 0 and (g >= 3 - 1e-9).all() and (g <= 6 + 1e-9).all()


def test_params_and_models_are_the_clis(cli):
    names = [line.split()[0] for line in run_cli(cli, "models").stdout.splitlines() if line.strip()]
    assert list(brunel.models()) == names
    p = brunel.params("brunel")
    assert {"g", "eta", "N_E", "D_ms"} <= set(p)
    assert "N_E" in run_cli(cli, "params", "brunel").stdout
    with pytest.raises(brunel.DefinitionError, match="nope"):
        brunel.params("nope")


@pytest.mark.parametrize("call, match", [
    (lambda: brunel.simulate(g="five"), "parameter g = 'five': expected a number"),
    (lambda: brunel.simulate(g=True), "expected a number"),
    (lambda: brunel.simulate(seed=[1]), "seed = \\[1\\]"),
    (lambda: brunel.simulate(model="nope"), "nope"),
    (lambda: brunel.simulate(not_a_param=1.0), "not_a_param"),
    (lambda: brunel.simulate(g=-1.0), "g"),
    (lambda: brunel.theory(model="tutorial"), "no mean-field theory"),
    (lambda: brunel.boundaries(g=(5, 3)), "g"),
    (lambda: brunel.boundaries(g=5), "expected a pair"),
])
def test_bad_arguments_raise_definition_errors(call, match):
    with pytest.raises(brunel.DefinitionError, match=match) as e:
        call()
    assert isinstance(e.value, ValueError)


def test_every_public_function_documents_its_arguments():
    for f in (brunel.simulate, brunel.sweep, brunel.load, brunel.theory, brunel.boundaries):
        doc = inspect.getdoc(f)
        assert doc
        for name in inspect.signature(f).parameters:
            if name != "params":
                assert name in doc, (f.__name__, name)
