#!/usr/bin/env bash
# Creates (once) the venv used to check results from Python: polars, pyarrow, pandas, duckdb,
# matplotlib, and mpmath (reference values for the stability theory). Idempotent; prints the
# venv's python on stdout (progress goes to stderr).
# Location: $BRUNEL_CHECK_VENV, default ~/.cache/brunel/venv-check (outside the repo).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${BRUNEL_CHECK_VENV:-$HOME/.cache/brunel/venv-check}"
py="$venv/bin/python"
if [ ! -x "$py" ]; then
  echo "[venv] creating $venv" >&2
  python3 -m venv "$venv" >&2
fi
if ! "$py" -c "import polars, pyarrow, pandas, duckdb, matplotlib, mpmath" >/dev/null 2>&1; then
  echo "[venv] installing $(tr '\n' ' ' < "$here/requirements.txt" | sed 's/#[^ ]* //g')" >&2
  "$py" -m pip install -q --disable-pip-version-check -r "$here/requirements.txt" >&2
fi
echo "$py"
