#!/usr/bin/env bash
# Whole-command timings of `sightline explain` (issue 10 §1: explainers moved onto the one StepBatcher): each method's
# rows (windows, masks, integration steps, noisy copies, masked/ablated re-runs) of all samples of a chunk now share
# model calls. Usage: bench/whole-command/explain.sh [DATA_DIR] [RUNS]   (default /tmp/sightline-explain-bench, 5 runs)
# BASELINE=DIR (another checkout, e.g. the commit before the change) times DIR/sightline on the same commands,
# interleaved with this checkout's runs by hyperfine. Needs Debian's /usr/bin/python3 with numpy (the inputs) and
# hyperfine (else each command is timed RUNS times with /usr/bin/time). Report the minimum: on a shared machine the
# mean mostly measures the other processes.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
data="${1:-/tmp/sightline-explain-bench}"
runs="${2:-5}"
mkdir -p "$data"
[ -f "$data/x224.npy" ] || /usr/bin/python3 - "$data" <<'PY'
import sys, numpy as np
d = sys.argv[1]
g = np.random.default_rng(0)
np.save(f"{d}/x224.npy", g.standard_normal((2, 3, 224, 224), dtype=np.float32))
np.save(f"{d}/x32.npy", g.standard_normal((16, 3, 32, 32), dtype=np.float32))
PY
r18="$root/bench/models/resnet18_random.onnx"
tiny="$root/tests/fixtures/models/resnet_tiny.onnx"
layer_tiny="$(/usr/bin/python3 -c "import json,sys; m=json.load(open('$root/tests/fixtures/models/manifest.json')); print(m['models']['resnet_tiny']['cam_layer']['onnx_tensor'])" 2>/dev/null || true)"
# name|arguments (after `explain`)
cases=(
  "occlusion-r18|--model $r18 --inputs $data/x224.npy --method occlusion --window 32 --stride 32"
  "rise-r18|--model $r18 --inputs $data/x224.npy --method rise --rise-masks 64"
  "occlusion-tiny|--model $tiny --inputs $data/x32.npy --method occlusion --window 8 --stride 4"
  "rise-tiny|--model $tiny --inputs $data/x32.npy --method rise --rise-masks 500"
  "ig-tiny|--model $tiny --inputs $data/x32.npy --method integrated_gradients --steps 50"
  "smoothgrad-tiny|--model $tiny --inputs $data/x32.npy --method smoothgrad --samples 25"
)
if [ -n "$layer_tiny" ]; then
  cases+=("scorecam-tiny|--model $tiny --inputs $data/x32.npy --method scorecam --layer $layer_tiny"
          "ablationcam-tiny|--model $tiny --inputs $data/x32.npy --method ablationcam --layer $layer_tiny")
fi
"$root/sightline" --version >/dev/null
[ -n "${BASELINE:-}" ] && "$BASELINE/sightline" --version >/dev/null
for c in "${cases[@]}"; do
  name="${c%%|*}"; args="${c#*|}"
  now="$root/sightline explain $args --out $data/$name.npy --force"
  if command -v hyperfine >/dev/null; then
    extra=()
    [ -n "${BASELINE:-}" ] && extra=(-n "$name before" "$BASELINE/sightline explain $args --out $data/$name.before.npy --force")
    hyperfine -N -w 1 -r "$runs" --export-json "$data/$name.json" -n "$name now" "$now" "${extra[@]}"
    /usr/bin/python3 -c "
import json; r=json.load(open('$data/$name.json'))['results']
print('  ' + '; '.join(f\"{x['command']}: min {min(x['times']):.3f} s, median {x['median']:.3f} s, CPU {x['user'] + x['system']:.3f} s\" for x in r))"
  else
    for i in $(seq "$runs"); do /usr/bin/time -f "$name now %e s" $now >/dev/null; done
  fi
  if [ -n "${BASELINE:-}" ] && [ -f "$data/$name.before.npy" ]; then
    /usr/bin/python3 -c "
import numpy as np; a=np.load('$data/$name.npy'); b=np.load('$data/$name.before.npy')
print(f'  $name: max |now - before| = {np.nanmax(np.abs(a-b)):.3g} (max |before| {np.nanmax(np.abs(b)):.3g}), identical: {np.array_equal(a,b,equal_nan=True)}')"
  fi
done
