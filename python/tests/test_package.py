"""The package as installed: its pieces, stubs and help texts."""

import importlib.resources
import inspect

import brunel


def test_stubs_and_marker_are_installed():
    files = {p.name for p in importlib.resources.files("brunel").iterdir()}
    assert {"py.typed", "_core.pyi", "__init__.py"} <= files


def test_stubs_list_every_compiled_function():
    text = (importlib.resources.files("brunel") / "_core.pyi").read_text()
    for name, obj in vars(brunel._core).items():
        if callable(obj) and not name.startswith("_") and not isinstance(obj, type):
            assert f"def {name}(" in text, name


def test_help_of_sweep_explains_every_argument():
    doc = inspect.getdoc(brunel.sweep)
    for name in inspect.signature(brunel.sweep).parameters:
        assert f"{name}:" in doc, name


def test_definition_error_is_a_value_error():
    assert issubclass(brunel.DefinitionError, ValueError)
    assert issubclass(brunel.ResultsError, brunel.BrunelError)
    assert issubclass(brunel.Interrupted, KeyboardInterrupt)
