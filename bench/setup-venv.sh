#!/usr/bin/env bash
# Create (or reuse) the Python venv used for the Brian2 and NEST reference runs
# in bench/ (brian2_*.py, nest_brunel.py, peers.sh).
# Idempotent: packages are installed only when an import check fails.
# The venv lives outside the repository: ${BRUNEL_VENV:-$HOME/.cache/brunel/venv}.
# Needs python3 (CPython 3.11 is what the references were made with) and PyPI.
set -euo pipefail

VENV="${BRUNEL_VENV:-$HOME/.cache/brunel/venv}"
PYTHON="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/python" ]; then
    mkdir -p "$(dirname "$VENV")"
    "$PYTHON" -m venv "$VENV" || {
        echo "setup-venv: '$PYTHON -m venv' failed (on Debian: apt-get install python3-venv)" >&2
        exit 1
    }
fi

PY="$VENV/bin/python"

# Each entry is "import-name|pip requirement".
REQS=(
    "numpy|numpy<2.3"
    "brian2|brian2"
    "polars|polars"
    "pyarrow|pyarrow"
    # NEST 3.10 from its PyPI wheel (bundles libgsl/libgomp; pulls in matplotlib).
    "nest|nest-simulator>=3.10,<3.11"
)

missing=()
for entry in "${REQS[@]}"; do
    mod="${entry%%|*}"
    req="${entry#*|}"
    if ! "$PY" -c "import $mod" >/dev/null 2>&1; then
        missing+=("$req")
    fi
done
# numpy is pinned below 2.3; reinstall if an existing one is too new.
if "$PY" -c "import numpy" >/dev/null 2>&1; then
    if ! "$PY" -c "import numpy, sys; v = tuple(int(x) for x in numpy.__version__.split('.')[:2]); sys.exit(0 if v < (2, 3) else 1)" >/dev/null 2>&1; then
        missing+=("numpy<2.3")
    fi
fi

if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup-venv: installing: ${missing[*]}" >&2
    "$PY" -m pip install --quiet --upgrade pip >&2
    # Always pass the numpy pin so a dependency cannot pull in a newer numpy.
    "$PY" -m pip install --quiet "${missing[@]}" "numpy<2.3" >&2
    for entry in "${REQS[@]}"; do
        mod="${entry%%|*}"
        "$PY" -c "import $mod" >/dev/null || { echo "setup-venv: import $mod still fails" >&2; exit 1; }
    done
fi

echo "$VENV"
