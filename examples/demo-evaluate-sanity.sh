#!/usr/bin/env bash
# Sanity tests of the metrics themselves on the demo's two models (README, "Checking QGE and the metrics themselves").
# Usage: examples/demo-evaluate-sanity.sh [DEMO_DIR] [OUT_DIR]   (DEMO_DIR from './sightline demo --samples 50 --out DEMO_DIR')
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
demo="${1:-out/demo-50}"
out="${2:-out/demo-evaluate-sanity}"
mkdir -p "$out"
metrics=pixel_flipping,faithfulness_correlation,faithfulness_estimate,monotonicity,region_perturbation,selectivity,irof,road,sensitivity_n
metrics+=,sparseness,complexity,effective_complexity,completeness,non_sensitivity
metrics+=,pointing_game,iou,relevance_mass_accuracy,relevance_rank_accuracy,attribution_localisation,top_k_intersection,auc
for model in clean spurious; do
  for method in saliency gradcam; do
    "$root/sightline" evaluate-sanity --model "$demo/models/$model.onnx" --inputs "$demo/data/inputs.npy" --labels "$demo/data/labels.npy" \
      --method "$method" --layer features --masks "$demo/data/object_masks.npy" --metrics "$metrics" \
      --param '*.features_in_step=28' --param top_k_intersection.k=78 --out "$out/${model}_${method}.csv"
  done
done
