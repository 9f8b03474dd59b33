#!/usr/bin/env bash
# Whole-command timings (issue 9 §6): `./sightline align` against a vectorised numpy script, and `./sightline neurons
# score` (correlation, inverse_auc) against a plain PyTorch 1.13 script, each timed as a whole process.
# Usage: bench/whole-command/run.sh [DATA_DIR] [RUNS]   (default /tmp/sightline-whole-command, 10 runs)
# Needs Debian's /usr/bin/python3 with numpy and torch (apt-get install python3-numpy python3-torch) and, for the
# statistics, hyperfine (apt-get install hyperfine); without hyperfine each command is timed RUNS times with
# /usr/bin/time. Report the minimum: on a shared machine the mean mostly measures the other processes.
# BASELINE=DIR (another checkout, e.g. an older commit) also times DIR/sightline on the same commands (hyperfine only).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
data="${1:-/tmp/sightline-whole-command}"
runs="${2:-10}"
py=/usr/bin/python3
[ -f "$data/concepts.npy" ] || "$py" "$here/make_inputs.py" "$data"
"$root/sightline" --version >/dev/null # build once, outside the timings

align_sl="$root/sightline align --saliency $data/saliency.npy --masks $data/masks.npy --metrics sss,iou,gtc,sc,pointing_game --out $data/align.parquet"
align_np="$py $here/align_numpy.py $data/saliency.npy $data/masks.npy $data/align_numpy.npy"
corr_sl="$root/sightline neurons score --activations $data/activations.npy --concepts $data/concepts.npy --metrics correlation --out $data/correlation.npy"
corr_pt="$py $here/neurons_torch.py correlation $data/activations.npy $data/concepts.npy $data/correlation_torch.npy"
iauc_sl="$root/sightline neurons score --activations $data/activations.npy --concepts $data/concepts.npy --metrics inverse_auc --out $data/inverse_auc.npy"
iauc_pt="$py $here/neurons_torch.py inverse_auc $data/activations.npy $data/concepts.npy $data/inverse_auc_torch.npy"

if command -v hyperfine >/dev/null; then
  extra=()
  if [ -n "${BASELINE:-}" ]; then
    "$BASELINE/sightline" --version >/dev/null
    extra=(-n "baseline align" "${align_sl/$root\/sightline/$BASELINE/sightline}"
           -n "baseline correlation" "${corr_sl/$root\/sightline/$BASELINE/sightline}"
           -n "baseline inverse_auc" "${iauc_sl/$root\/sightline/$BASELINE/sightline}")
  fi
  hyperfine -N -w 1 -r "$runs" --export-json "$data/timings.json" "${extra[@]}" \
    -n "sightline align" "$align_sl" -n "numpy align" "$align_np" \
    -n "sightline correlation" "$corr_sl" -n "torch correlation" "$corr_pt" \
    -n "sightline inverse_auc" "$iauc_sl" -n "torch inverse_auc" "$iauc_pt" >"$data/hyperfine.txt"
  "$py" - "$data/timings.json" <<'PY'
import json, sys
rows = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
print(f"{'command':<24}{'min s':>8}{'median s':>10}{'user s':>8}{'sys s':>8}")
for name, r in rows.items():
    times = sorted(r["times"])
    print(f"{name:<24}{times[0]:8.3f}{r['median']:10.3f}{r['user']:8.3f}{r['system']:8.3f}")
for a, b in [("align", "numpy align"), ("correlation", "torch correlation"), ("inverse_auc", "torch inverse_auc")]:
    s = min(rows["sightline " + a]["times"]); o = min(rows[b]["times"])
    print(f"{a}: sightline {s:.3f} s, {b} {o:.3f} s: {o / s:.1f}x faster (minimum of {len(rows[b]['times'])} runs each)")
    if "baseline " + a in rows:
        print(f"  baseline sightline {min(rows['baseline ' + a]['times']):.3f} s")
PY
else
  for cmd in "$align_sl" "$align_np" "$corr_sl" "$corr_pt" "$iauc_sl" "$iauc_pt"; do
    best=""
    for _ in $(seq "$runs"); do
      t=$( { /usr/bin/time -f "%e" $cmd >/dev/null 2>/dev/null; } 2>&1 | tail -1)
      best=$(printf '%s\n%s\n' "$t" "${best:-$t}" | sort -g | head -1)
    done
    echo "min ${best} s  ${cmd}"
  done
fi
