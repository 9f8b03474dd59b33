#!/usr/bin/env bash
# What QGE, the random baseline and the pool cost in `sightline evaluate` (issue 11 §4): whole-process timings on the
# small CNN of this folder (3x32x32, 64 samples, the files run.sh makes), per setting: samples/s and model rows per
# sample. The inverse maps go through the same batched calls as the originals, and the pool's rankings share calls.
# Usage: bench/evaluate/qge.sh [CACHE_DIR] [RUNS]     (run /usr/bin/python3 bench/evaluate/make_models.py and
#        bench/evaluate/run.sh once first: they write CACHE_DIR/runs/smallcnn.64.*.npy)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${1:-$here/.cache}"
runs="${2:-3}"
sl="${SIGHTLINE:-$root/sightline}"
out="$cache/runs"
x="$out/smallcnn.64.x.npy"; s="$out/smallcnn.64.saliency.npy"
[ -f "$x" ] || { echo "missing $x: run bench/evaluate/run.sh first" >&2; exit 2; }
"$sl" --version >/dev/null
n=64
# name | metric args | extra args | model rows per sample: evaluations of Ψ (1, 2 with --qge, 1+K, 2+N) × the catalogue cost
cases=(
  "pf|--metrics pixel_flipping --param pixel_flipping.features_in_step=16||192"
  "pf-qge|--metrics pixel_flipping --param pixel_flipping.features_in_step=16|--qge|384"
  "pf-qbas10|--metrics pixel_flipping --param pixel_flipping.features_in_step=16|--random-baseline 10|2112"
  "pf-pool100|--metrics pixel_flipping --param pixel_flipping.features_in_step=16|--qge --qge-pool 100|19584"
  "fc|--metrics faithfulness_correlation||101"
  "fc-qge|--metrics faithfulness_correlation|--qge|202"
  "fc-pool100|--metrics faithfulness_correlation|--qge --qge-pool 100|10302"
)
printf '%-12s %10s %12s %14s %12s\n' setting seconds samples/s rows/sample rows/s
for c in "${cases[@]}"; do
  IFS='|' read -r name metric extra rows <<<"$c"
  cmd="$sl evaluate --model $cache/smallcnn.onnx --inputs $x --saliency $s $metric $extra --force --out $out/qge-$name.csv"
  hyperfine -N -w 1 -r "$runs" --export-json "$out/qge-$name.json" -n "$name" "$cmd" >/dev/null 2>&1
  t=$(/usr/bin/python3 -c "import json; print(min(json.load(open('$out/qge-$name.json'))['results'][0]['times']))")
  /usr/bin/python3 -c "t=$t; n=$n; r=$rows; print(f'{\"$name\":<12} {t:10.2f} {n/t:12.1f} {r:14d} {n*r/t:12.0f}')"
done
