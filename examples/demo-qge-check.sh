#!/usr/bin/env bash
# QGE against the random-ranking ground truth on the demo's two models (README, "Checking QGE and the metrics themselves").
# Usage: examples/demo-qge-check.sh [DEMO_DIR] [OUT_DIR] [POOL]
#   DEMO_DIR: from './sightline demo --samples 50 --out DEMO_DIR' (cost grows with samples × pool)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
demo="${1:-out/demo-50}"
out="${2:-out/demo-qge-check}"
pool="${3:-200}"
mkdir -p "$out"
for model in clean spurious; do
  for method in saliency integrated_gradients gradcam; do
    "$root/sightline" qge-check --model "$demo/models/$model.onnx" --inputs "$demo/data/inputs.npy" --labels "$demo/data/labels.npy" \
      --method "$method" --layer features --masks "$demo/data/object_masks.npy" \
      --metrics pixel_flipping,faithfulness_correlation,faithfulness_estimate,pointing_game,relevance_mass_accuracy,relevance_rank_accuracy \
      --param pixel_flipping.features_in_step=28 --param faithfulness_estimate.features_in_step=28 \
      --pool "$pool" --out "$out/${model}_${method}.csv"
  done
done
