#!/usr/bin/env bash
# Sweep throughput with 1 and with N threads on the same definition (default: the embedded
# quick map), alternating, --repeat times; prints runs/s per thread count, the medians and
# the speed-up. Each run writes into a fresh temporary folder.
#
# usage: bench/threads.sh [--file sweeps/x.toml] [--threads 2] [--repeat 3]
set -euo pipefail
file=""; threads=2; repeat=3
while [ $# -gt 0 ]; do
  case "$1" in
    --file) file="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
bin="${BRUNEL_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/brunel/target}/release/brunel}"
[ -x "$bin" ] || { echo "no brunel binary at $bin (cargo build --release first)" >&2; exit 2; }
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
declare -a one many
for r in $(seq 1 "$repeat"); do
  for t in 1 "$threads"; do
    start=$(date +%s.%N)
    "$bin" sweep $file --out "$tmp/r$r-t$t" --threads "$t" --quiet --no-plots > /dev/null
    end=$(date +%s.%N)
    wall=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.2f", b-a}')
    n=$("$bin" sweep $file --out "$tmp/r$r-t$t" --quiet --no-plots 2>&1 | sed -n 's/.* \([0-9]*\) were already complete.*/\1/p')
    rate=$(awk -v n="$n" -v w="$wall" 'BEGIN{printf "%.3f", n/w}')
    echo "repeat $r, $t thread(s): $n runs in $wall s = $rate runs/s"
    if [ "$t" = 1 ]; then one+=("$rate"); else many+=("$rate"); fi
  done
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
m1=$(median "${one[@]}"); mn=$(median "${many[@]}")
echo "median: 1 thread $m1 runs/s, $threads threads $mn runs/s, speed-up $(awk -v a="$m1" -v b="$mn" 'BEGIN{printf "%.2f", b/a}')x"
