#!/usr/bin/env bash
# Whole-process timings of `sightline evaluate` against a step-for-step re-implementation of what Quantus does
# (quantus_equivalent.py), on the same two networks (make_models.py: ResNet-18 at 3x224x224, a small CNN at 3x32x32),
# the same inputs, maps, targets and settings: pixel_flipping with features_in_step 1 and faithfulness_correlation with
# nr_runs 100 (subset_size 224). Prints samples/s per metric and model side by side. See README.md.
#
# Usage: bench/evaluate/run.sh [CACHE_DIR] [RUNS]      (default bench/evaluate/.cache, 3 runs for the small CNN)
# Environment:
#   R18_RUNS=1          timed runs of each ResNet-18 command (each takes minutes)
#   PY_MAX_STEPS_R18=8  pixel_flipping steps the Python side runs on ResNet-18 before extrapolating to all 150,528
#   PY_MAX_STEPS_CNN=   the same for the small CNN (empty: all 3,072 steps run, nothing is extrapolated)
#   R18_FIS="3136 1568" the features_in_step values Sightline's ResNet-18 pixel_flipping runs at (fis=1 would be
#                       8 x 150,528 = 1.2 M ResNet-18 rows, hours on 2 cores): the two times give a line
#                       t = a + b * rows, extrapolated to the rows of fis=1; the Python side is also run at the
#                       first value in full, for a measured like-for-like ratio
#   SAMPLES_R18=8 SAMPLES_CNN=64  samples scored (at most what make_models.py wrote)
#   SIGHTLINE=PATH      the sightline to time (default this checkout's ./sightline)
# Needs Debian's /usr/bin/python3 with torch 1.13 + torchvision (the models) and hyperfine (else /usr/bin/time, RUNS
# times). Report the minimum: on a shared machine the mean mostly measures the other processes.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${1:-$here/.cache}"
runs="${2:-3}"
r18_runs="${R18_RUNS:-1}"
py=/usr/bin/python3
sl="${SIGHTLINE:-$root/sightline}"
out="$cache/runs"
mkdir -p "$out"
[ -f "$cache/smallcnn.onnx" ] && [ -f "$cache/resnet18.onnx" ] || "$py" "$here/make_models.py" "$cache"
n_r18="${SAMPLES_R18:-8}"; n_cnn="${SAMPLES_CNN:-64}"
read -r -a r18_fis <<<"${R18_FIS:-3136 1568}"

have_evaluate=1
if ! "$sl" evaluate --help >/dev/null 2>&1; then
  have_evaluate=0
  echo "note: this checkout's ./sightline has no 'evaluate' command yet; timing the Python side only" >&2
fi

# Inputs restricted to the first N samples (the NPY files hold what make_models.py wrote).
subset() { # model n
  local m="$1" n="$2"
  [ -f "$out/$m.$n.x.npy" ] && return
  "$py" - "$cache" "$out" "$m" "$n" <<'PY'
import sys, numpy as np
cache, out, m, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
for k in ("x", "saliency", "targets"):
    np.save(f"{out}/{m}.{n}.{k}.npy", np.load(f"{cache}/{m}.{k}.npy")[:n])
PY
}
subset resnet18 "$n_r18"; subset smallcnn "$n_cnn"

# min_seconds RUNS NAME COMMAND...: the minimum wall time of RUNS runs (hyperfine -N, one warm-up when RUNS > 1).
min_seconds() {
  local r="$1" name="$2"; shift 2
  if command -v hyperfine >/dev/null; then
    local w=0; [ "$r" -gt 1 ] && w=1
    hyperfine -N -w "$w" -r "$r" --export-json "$out/$name.json" -n "$name" "$*" >&2
    "$py" -c "import json; print(min(json.load(open('$out/$name.json'))['results'][0]['times']))"
  else
    local best=""
    for _ in $(seq "$r"); do
      local t; t=$( { /usr/bin/time -f "%e" "$@" >/dev/null 2>/dev/null; } 2>&1 | tail -1 )
      best=$("$py" -c "b='$best'; print(min(float(b), $t) if b else $t)")
    done
    echo "$best"
  fi
}

# --force: every timed run computes (without it the warm-up completes --out and the timed runs only check it).
evaluate_cmd() { # model n metric params...
  local m="$1" n="$2" metric="$3"; shift 3
  local params=()
  for p in "$@"; do params+=(--param "$p"); done
  echo "$sl evaluate --model $cache/$m.onnx --inputs $out/$m.$n.x.npy --saliency $out/$m.$n.saliency.npy --metrics $metric ${params[*]} --out $out/$m.$metric.csv --force"
}

rows=()
row() { rows+=("$1|$2|$3|$4|$5|$6"); } # metric model samples sightline_s python_s note

python_run() { # name args... -> seconds (from the script's own whole-process figure)
  local name="$1"; shift
  "$py" "$here/quantus_equivalent.py" "$@" --json "$out/$name.py.json" >/dev/null
  "$py" -c "import json; print(json.load(open('$out/$name.py.json'))['seconds'])"
}

# --- small CNN: exact settings on both sides ---
py_cnn_steps=()
[ -n "${PY_MAX_STEPS_CNN:-}" ] && py_cnn_steps=(--max-steps "$PY_MAX_STEPS_CNN")
for metric in pixel_flipping faithfulness_correlation; do
  if [ "$metric" = pixel_flipping ]; then
    params=(pixel_flipping.features_in_step=1); pyargs=(--features-in-step 1 "${py_cnn_steps[@]}")
  else
    params=(faithfulness_correlation.nr_runs=100 faithfulness_correlation.subset_size=224); pyargs=(--nr-runs 100 --subset-size 224)
  fi
  s="n/a"
  [ "$have_evaluate" = 1 ] && s=$(min_seconds "$runs" "sl-cnn-$metric" $(evaluate_cmd smallcnn "$n_cnn" "$metric" "${params[@]}"))
  p=$(python_run "cnn-$metric" "$metric" smallcnn --cache "$cache" --samples "$n_cnn" "${pyargs[@]}")
  note="measured"; [ "$metric" = pixel_flipping ] && [ -n "${PY_MAX_STEPS_CNN:-}" ] && note="python extrapolated from $PY_MAX_STEPS_CNN steps"
  row "$metric" smallcnn "$n_cnn" "$s" "$p" "$note"
done

# --- ResNet-18: faithfulness_correlation exact; pixel_flipping fis=1 extrapolated on both sides ---
s="n/a"
[ "$have_evaluate" = 1 ] && s=$(min_seconds "$r18_runs" sl-r18-fc $(evaluate_cmd resnet18 "$n_r18" faithfulness_correlation \
  faithfulness_correlation.nr_runs=100 faithfulness_correlation.subset_size=224))
p=$(python_run r18-fc faithfulness_correlation resnet18 --cache "$cache" --samples "$n_r18" --nr-runs 100 --subset-size 224)
row faithfulness_correlation resnet18 "$n_r18" "$s" "$p" "measured"

d=$((3 * 224 * 224))
p1=$(python_run r18-pf1 pixel_flipping resnet18 --cache "$cache" --samples "$n_r18" --features-in-step 1 --max-steps "${PY_MAX_STEPS_R18:-8}")
f0="${r18_fis[0]}"
pf0=$(python_run r18-pf$f0 pixel_flipping resnet18 --cache "$cache" --samples "$n_r18" --features-in-step "$f0")
s_fit="n/a"; s0="n/a"
if [ "$have_evaluate" = 1 ]; then
  ts=()
  for f in "${r18_fis[@]}"; do
    ts+=("$(min_seconds "$r18_runs" "sl-r18-pf$f" $(evaluate_cmd resnet18 "$n_r18" pixel_flipping pixel_flipping.features_in_step=$f))")
  done
  s0="${ts[0]}"
  # t = a + b * steps through the (steps, seconds) points, evaluated at d steps (fis = 1).
  s_fit=$("$py" -c "
import numpy as np
f = np.array([$(IFS=,; echo "${r18_fis[*]}")], float); t = np.array([$(IFS=,; echo "${ts[*]}")], float)
steps = $d / f
b, a = np.polyfit(steps, t, 1) if len(f) > 1 else (t[0] / steps[0], 0.0)
# A non-positive slope means the runs were too noisy to separate start-up from per-step cost: scale the longest run.
print(a + b * $d if b > 0 else t.max() * $d / steps[t.argmax()])")
fi
row pixel_flipping resnet18 "$n_r18" "$s0" "$pf0" "fis=$f0 ($((d / f0)) steps), both measured"
row pixel_flipping resnet18 "$n_r18" "$s_fit" "$p1" "fis=1: sightline fitted on fis=${r18_fis[*]}; python from ${PY_MAX_STEPS_R18:-8} steps"

echo
printf '%-26s %-9s %7s %12s %12s %12s %12s %8s  %s\n' metric model samples "sightline s" "sl samples/s" "python s" "py samples/s" ratio note
for r in "${rows[@]}"; do
  IFS='|' read -r metric model n s p note <<<"$r"
  "$py" - "$metric" "$model" "$n" "$s" "$p" "$note" <<'PY'
import sys
metric, model, n, s, p, note = sys.argv[1:]
n = int(n)
def f(v): return float(v) if v not in ("n/a", "") else None
s, p = f(s), f(p)
fmt = lambda v, spec: format(v, spec) if v is not None else "n/a"
ratio = p / s if s and p else None
print(f"{metric:<26} {model:<9} {n:>7} {fmt(s, '12.2f')} {fmt(n / s if s else None, '12.3f')} {fmt(p, '12.1f')} "
      f"{fmt(n / p if p else None, '12.4f')} {fmt(ratio, '7.1f') + ('x' if ratio else ''):>8}  {note}")
PY
done
echo
echo "python seconds are the script's whole process (interpreter start after python's own launch, imports, model load, steps);"
echo "sightline seconds are the minimum wall time of the whole './sightline evaluate' process. Details in $out/*.json."
