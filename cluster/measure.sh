#!/usr/bin/env bash
# Measures the local cluster: N cycles of `down` + cold `up` (binaries cached), the warm
# `up` (already running) and `status`, and the disk used. Prints each run and the medians.
#   cluster/measure.sh [N=3]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
N="${1:-3}"
LC="$ROOT/scripts/local-cluster"
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'; }
secs() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || { echo "FAILED: $*" >&2; return 1; }; e=$(date +%s.%N); echo "$s $e" | awk '{printf "%.1f\n", $2-$1}'; }
ups=() downs=()
for ((i = 1; i <= N; i++)); do
  d=$(secs "$LC" down); u=$(secs "$LC" up)
  echo "run $i: down ${d}s, cold up (node Ready + class) ${u}s"
  ups+=("$u"); downs+=("$d")
done
w=$(secs "$LC" up); st=$(secs "$LC" status)
echo "median cold up: $(printf '%s\n' "${ups[@]}" | median)s over $N runs; median down: $(printf '%s\n' "${downs[@]}" | median)s"
echo "warm up (already running): ${w}s; status: ${st}s"
source "$ROOT/cluster/versions.sh"
echo "disk: state $(du -sh "$LC_STATE" | cut -f1), binaries $(du -sh "$CACHE/k8s" | cut -f1), images $(du -sh "$CACHE/images" | cut -f1)"
