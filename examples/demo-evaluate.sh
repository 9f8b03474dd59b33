#!/usr/bin/env bash
# Faithfulness and localisation of saliency vs Grad-CAM on the demo's two models (README, "sightline evaluate").
# Usage: examples/demo-evaluate.sh [DEMO_DIR] [OUT_DIR]   (DEMO_DIR from './sightline demo --out DEMO_DIR')
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
demo="${1:-sightline-demo}"
out="${2:-out/demo-evaluate}"
mkdir -p "$out"
for model in clean spurious; do
  for method in saliency gradcam; do
    "$root/sightline" evaluate --model "$demo/models/$model.onnx" --inputs "$demo/data/inputs.npy" --labels "$demo/data/labels.npy" \
      --method "$method" --layer features --masks "$demo/data/square_masks.npy" \
      --metrics pixel_flipping,faithfulness_correlation,faithfulness_estimate,pointing_game,relevance_mass_accuracy \
      --summary "$out/${model}_${method}.json" --out "$out/${model}_${method}.csv"
  done
done
