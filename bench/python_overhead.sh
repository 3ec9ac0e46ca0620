#!/usr/bin/env bash
# Wall time of one sweep from the CLI and from the Python package, side by side: the two
# alternate --repeat times on the same definition (default: the embedded quick map), each
# writing a fresh folder with its figures, as a user would run them. Prints every wall time,
# the medians and the Python overhead in per cent of the CLI's median.
#
# usage: bench/python_overhead.sh [--file sweeps/x.toml] [--threads 2] [--repeat 5]
#   BRUNEL_BIN: the CLI (default $CARGO_TARGET_DIR or ~/.cache/brunel/target, release/brunel)
#   BRUNEL_PY:  a python with the package installed (default: python/setup-dev.sh builds one)
set -euo pipefail
file="sweeps/brunel-phase-quick.toml"; threads=2; repeat=5
while [ $# -gt 0 ]; do
  case "$1" in
    --file) file="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${BRUNEL_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/brunel/target}/release/brunel}"
[ -x "$bin" ] || { echo "no brunel binary at $bin (cargo build --release first)" >&2; exit 2; }
py="${BRUNEL_PY:-$(bash "$here/python/setup-dev.sh")}"
[ -f "$file" ] || { echo "no definition at $file" >&2; exit 2; }
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT

wall() { # runs "$@", prints its wall time in seconds
  local start end
  start=$(date +%s.%N); "$@" > /dev/null; end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN{printf "%.2f", b-a}'
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

declare -a cli pyt
for r in $(seq 1 "$repeat"); do
  c=$(wall "$bin" sweep "$file" --out "$tmp/cli-$r" --threads "$threads" --quiet)
  p=$(wall "$py" -c "import sys, brunel; brunel.sweep(sys.argv[1], out=sys.argv[2], threads=int(sys.argv[3]), progress=False)" \
        "$file" "$tmp/py-$r" "$threads")
  cmp <(ls "$tmp/cli-$r/plots") <(ls "$tmp/py-$r/plots") > /dev/null \
    || { echo "the two folders hold different figures" >&2; exit 1; }
  echo "repeat $r: CLI $c s, Python $p s"
  cli+=("$c"); pyt+=("$p")
done
mc=$(median "${cli[@]}"); mp=$(median "${pyt[@]}")
echo "median: CLI $mc s, Python $mp s, overhead $(awk -v c="$mc" -v p="$mp" 'BEGIN{printf "%+.1f", 100*(p-c)/c}') %"
