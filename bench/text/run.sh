#!/usr/bin/env bash
# Whole-command throughput of `sightline text explain` (TokenSHAP) against the loopback OpenAI-compatible server with an
# artificial per-request latency (an LLM's answer time), as processes: the reference's sequential loop (one request at a
# time: --concurrency 1) against Sightline's concurrent coalitions (--concurrency 8, 16), then the rerun from the cache.
# Usage: bench/text/run.sh [LATENCY_MS=50] [RATIO=0.5] [MAX_COMBINATIONS=30]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
latency="${1:-50}"; ratio="${2:-0.5}"; cap="${3:-30}"
work="$(mktemp -d /tmp/sightline-text-bench.XXXXXX)"
"$root/sightline" --version >/dev/null # build once, outside the timings
dotnet build "$here/LoopbackServer" -c Release -v q -nologo >/dev/null
exec 3> >(dotnet "$here/LoopbackServer/bin/Release/net10.0/LoopbackServer.dll" "$latency" > "$work/endpoint")
for _ in $(seq 50); do [ -s "$work/endpoint" ] && break; sleep 0.2; done
url="$(head -1 "$work/endpoint")"
prompts=$(grep -c . "$here/prompts.txt")
echo "server $url, latency ${latency} ms, $prompts prompts, tokenshap --sampling-ratio $ratio --max-combinations $cap"
echo "| run | wall s | prompts/s | calls/prompt |"
echo "|---|---:|---:|---:|"
run() { # label, extra args...
  local label="$1"; shift
  local t0 t1 out calls
  t0=$(date +%s.%N)
  out=$("$root/sightline" text explain --prompts "$here/prompts.txt" --explainer tokenshap --llm "$url" --llm-model echo \
        --sampling-ratio "$ratio" --max-combinations "$cap" --out "$work/a.csv" "$@")
  t1=$(date +%s.%N)
  calls=$(sed -n 's/.*: \([0-9]*\) model calls.*/\1/p' <<<"$out")
  awk -v l="$label" -v a="$t0" -v b="$t1" -v p="$prompts" -v c="$calls" 'BEGIN { w = b - a; printf "| %s | %.2f | %.2f | %.1f |\n", l, w, p / w, c / p }'
}
run "sequential (TokenSHAP's loop), --concurrency 1" --concurrency 1
run "--concurrency 8" --concurrency 8
run "--concurrency 16" --concurrency 16
run "--concurrency 16, first run with --cache" --concurrency 16 --cache "$work/cache"
run "rerun from --cache" --concurrency 16 --cache "$work/cache"
exec 3>&-
rm -rf "$work"
