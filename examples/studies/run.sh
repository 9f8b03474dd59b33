#!/usr/bin/env bash
# Runs an example study end to end (run, merge, report) from a fresh clone:
#   examples/studies/run.sh planted-cue|semscore|feature-ranking [OUT]     (default OUT: out/studies/NAME)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
name="${1:?give a study: planted-cue, semscore or feature-ranking}"
out="${2:-out/studies/$name}"
"$root/sightline" study run "$here/$name/study.yaml" --out "$out"
"$root/sightline" study merge "$out"
"$root/sightline" study report "$out" --out "$out/report.html"
