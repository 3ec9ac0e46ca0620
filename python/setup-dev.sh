#!/usr/bin/env bash
# Creates (once) the venv for the Python package's tests and example, and (every time)
# builds and installs the package into it with `pip install ./python`, the user's path.
# Prints the venv's python on stdout; progress goes to stderr.
#   venv: $BRUNEL_PY_VENV, default ~/.cache/brunel/venv-py (outside the repo)
#   cargo target dir: $CARGO_TARGET_DIR if set (shared with `cargo test`), else the
#   workspace's target/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${BRUNEL_PY_VENV:-$HOME/.cache/brunel/venv-py}"
py="$venv/bin/python"
if [ ! -x "$py" ]; then
  echo "[py] creating $venv" >&2
  python3 -m venv "$venv" >&2
fi
if ! "$py" -c "import maturin, pytest, polars, pyarrow, pandas, matplotlib, tqdm, nbclient, ipykernel, jupytext" >/dev/null 2>&1; then
  echo "[py] installing $(grep -v '^#' "$here/requirements-dev.txt" | tr '\n' ' ')" >&2
  "$py" -m pip install -q --disable-pip-version-check -r "$here/requirements-dev.txt" >&2
fi
echo "[py] building and installing the package: pip install $here" >&2
start=$(date +%s)
"$py" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$here" >&2
echo "[py] package built and installed in $(( $(date +%s) - start )) s" >&2
echo "$py"
