#!/usr/bin/env bash
# Load benchmark of `sightline study` (issue 13 §4): a synthetic study the size of ImageNet-S validation at reduced
# resolution (N = 12,419 samples of 3×28×28 × 8 methods × 2 models × 2 mask sets × 3 metrics ≈ 1.19 M rows).
#   1. an uninterrupted run (peak RSS, wall time, rows/s, stage times), merge, store size;
#   2. the same study killed with SIGKILL at three random points and resumed each time, then merged;
#   3. the two merged results must be identical (scores.parquet row for row, every aggregate table).
# Usage: bench/study/run.sh [WORKDIR] [N]     (defaults: /tmp/sightline-study-load, 12419); seed the kill points with SEED.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="${1:-/tmp/sightline-study-load}"
n="${2:-12419}"
RANDOM="${SEED:-13}"
dotnet build "$root/bench/Sightline.Benchmarks/Sightline.Benchmarks.csproj" -c Release --nologo -v q -clp:ErrorsOnly >/dev/null
"$root/sightline" --version >/dev/null
bench="$root/bench/Sightline.Benchmarks/bin/Release/net10.0/Sightline.Benchmarks.dll"
rm -rf "$work"
study="$(dotnet "$bench" make-study-data "$work/data" "$n" "$root" 256)"
echo "study: $study ($n samples)"

echo "== uninterrupted run"
/usr/bin/time -f "wall %e s, user %U s, sys %S s, peak RSS %M KB" "$root/sightline" study run "$study" --out "$work/ref" 2> "$work/ref.time"
cat "$work/ref.time"
ref_wall=$(awk '/^wall/ {print $2}' "$work/ref.time")
/usr/bin/time -f "merge: wall %e s, peak RSS %M KB" "$root/sightline" study merge "$work/ref"
echo "store: $(du -sb "$work"/ref/chunks | cut -f1) bytes of chunks, scores.parquet $(stat -c %s "$work/ref/scores.parquet") bytes"

echo "== killed at three random points, resumed"
for k in 1 2 3; do
  # a random moment within the first 80% of an uninterrupted run's share of the remaining work
  delay=$(awk -v w="$ref_wall" -v r="$RANDOM" 'BEGIN { printf "%.1f", 2 + (w * 0.25) * r / 32767 }')
  "$root/sightline" study run "$study" --out "$work/killed" > "$work/killed-$k.log" 2>&1 &
  pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  echo "kill $k after $delay s: $(ls "$work"/killed/chunks/*/ 2>/dev/null | grep -c parquet) units stored"
done
"$root/sightline" study run "$study" --out "$work/killed" | tee "$work/killed-final.log"
"$root/sightline" study merge "$work/killed" >/dev/null

echo "== identical?"
cmp "$work/ref/scores.parquet" "$work/killed/scores.parquet" && echo "scores.parquet: byte-identical"
for f in "$work"/ref/aggregates/*.csv; do cmp "$f" "$work/killed/aggregates/$(basename "$f")"; done && echo "aggregates: identical"
