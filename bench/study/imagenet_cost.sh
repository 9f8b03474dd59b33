#!/usr/bin/env bash
# Cost per core of each stage of a SemScore-style study at ImageNet resolution (issue 13 §3, README "Scale"): the
# committed ResNet-18 bench fixture (bench/models/resnet18_random.onnx, 3×224×224, 1000 classes), N ready-tensor images
# with label maps of one or two classes (targets: mask_classes, SemScore's rule), metric sss, one study per CAM method,
# each run with --threads 1 (one core: ONNX Runtime, libtorch and the metric loops capped to one thread).
# Prints each run's stage times (study run's "Stages" line), its rows and CPU time; the arithmetic is in README "Scale".
# Score-CAM (512 masked forward passes per map) runs on the first SCORECAM_N images only (data.limit).
# Usage: [SCORECAM_N=8] bench/study/imagenet_cost.sh [WORKDIR] [N]     (defaults: /tmp/sightline-imagenet-cost, 32)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="${1:-/tmp/sightline-imagenet-cost}"
n="${2:-32}"
scorecam_n="${SCORECAM_N:-8}"
model="$root/bench/models/resnet18_random.onnx"
[ -f "$model" ] || { echo "missing $model: /usr/bin/python3 tools/fixtures/generate.py --bench" >&2; exit 2; }
"$root/sightline" --version >/dev/null
rm -rf "$work"; mkdir -p "$work"
/usr/bin/python3 - "$work" "$n" <<'PY'
import sys, numpy as np
work, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(0)
# ImageNet-normalised-looking inputs: smooth random fields, so the maps are not noise.
base = rng.standard_normal((n, 3, 28, 28)).astype(np.float32)
x = np.repeat(np.repeat(base, 8, axis=2), 8, axis=3)
np.save(f"{work}/x.npy", x)
np.save(f"{work}/y.npy", (np.arange(n) * 37 % 1000).astype(np.int64))
# Label maps (value = class + 1, 0 = background): one object per image, a second one in every third image.
m = np.zeros((n, 224, 224), np.int32)
for i in range(n):
    m[i, 48:176, 48:176] = i * 37 % 1000 + 1
    if i % 3 == 0:
        m[i, 0:64, 160:224] = (i * 37 + 500) % 1000 + 1
np.save(f"{work}/labels.npy", m)
PY
layer=/layer4/layer4.1/relu_1/Relu_output_0
for method in gradcam gradcam_plus_plus xgradcam layercam eigencam ablationcam scorecam; do
  limit=$n; [ "$method" = scorecam ] && limit=$scorecam_n
  cat > "$work/$method.yaml" <<YAML
study: imagenet-cost-$method
data: {inputs: x.npy, labels: y.npy, limit: $limit}
masks:
  parts: {path: labels.npy}
targets: {kind: mask_classes, from: parts}
models:
  - {name: resnet18, path: $model}
methods:
  - {name: $method, layer: $layer}
metrics: [sss]
run: {chunk: $n, examples: 0}
YAML
  /usr/bin/time -f "cpu: wall %e s, user %U s, sys %S s, peak RSS %M KB" \
    "$root/sightline" study run "$work/$method.yaml" --out "$work/out-$method" --threads 1 > "$work/$method.log" 2> "$work/$method.time"
  echo "== $method"; grep -E "computed|Stages" "$work/$method.log"; tail -1 "$work/$method.time"
done
"$root/sightline" study merge "$work/out-gradcam" >/dev/null
for k in "$n" "$scorecam_n"; do
  echo "items (sample, class) explained per method for the first $k images: $(/usr/bin/python3 -c "import numpy as np; m=np.load('$work/labels.npy')[:$k]; print(sum(len(set(np.unique(a))-{0}) for a in m))")"
done
echo "chunks: $(du -sb "$work"/out-*/chunks | awk '{s+=$1} END {print s}') bytes"
