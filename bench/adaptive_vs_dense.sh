#!/usr/bin/env bash
# Issue 12's check: the adaptive quick map against a dense grid at the quick map's size.
# Runs sweeps/brunel-phase-adaptive-quick.toml and bench/dense-check-quick.toml (the adaptive
# sweep's whole finest lattice, same seeds), then `brunel compare`.
# ~8 + ~35 minutes on 2 cores. Usage: bash bench/adaptive_vs_dense.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-results/adaptive-check}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/brunel/target}"
cargo build --release --quiet
bin="$CARGO_TARGET_DIR/release/brunel"
"$bin" sweep sweeps/brunel-phase-adaptive-quick.toml --out "$out/adaptive" --no-plots --quiet
"$bin" sweep bench/dense-check-quick.toml --out "$out/dense" --no-plots --quiet
"$bin" compare "$out/adaptive" "$out/dense"
