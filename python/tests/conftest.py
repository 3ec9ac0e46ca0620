"""Shared fixtures: the CLI binary (the same build as the package) and small definitions."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


def cli_path() -> Path:
    """$BRUNEL_BIN, else target/release/brunel under $CARGO_TARGET_DIR or the repo."""
    if os.environ.get("BRUNEL_BIN"):
        return Path(os.environ["BRUNEL_BIN"])
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return target / "release" / "brunel"


@pytest.fixture(scope="session")
def cli() -> Path:
    path = cli_path()
    if not path.is_file():
        pytest.fail(f"no brunel binary at {path}: build it with cargo build --release (or set BRUNEL_BIN)")
    return path


@pytest.fixture(scope="session")
def small() -> Path:
    return HERE / "small.toml"


@pytest.fixture(scope="session")
def many() -> Path:
    return HERE / "many.toml"


def run_cli(cli: Path, *args, check=True, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(cli), *map(str, args)], capture_output=True, text=True, check=check, **kw)


@pytest.fixture(scope="session")
def cli_small(cli, small, tmp_path_factory) -> Path:
    """The small definition swept once by the CLI (2 threads, no figures)."""
    out = tmp_path_factory.mktemp("cli") / "small"
    run_cli(cli, "sweep", small, "--out", out, "--threads", 2, "--quiet", "--no-plots")
    return out


@pytest.fixture(scope="session")
def py_small(small, tmp_path_factory):
    """The small definition swept once by brunel.sweep (2 threads, with figures)."""
    import brunel

    out = tmp_path_factory.mktemp("py") / "small"
    return brunel.sweep(small, out=out, threads=2, progress=False)


def copy_folder(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst
