#!/usr/bin/env bash
# Compares this tree with an earlier commit in one run: `status --json` latency (bench/run.ts)
# and push-API ingestion (bench/ingest.ts), each measured in both trees, alternating
# base/current/base/current so machine load falls on both alike. Prints each run's figures with
# the load average beside them.
#
#   bash bench/compare.sh <base-rev> [rounds]      (default: HEAD~1, 2 rounds)
#   BENCH_SCALE, BENCH_RUNS, INGEST_LEVELS, INGEST_BATCHES… are passed through (defaults below
#   are a quick run: BENCH_SCALE=0.1, BENCH_IMPORT_ROUNDS=1, INGEST_LEVELS=4, INGEST_BATCHES=60)
set -euo pipefail
cd "$(dirname "$0")/.."
base_rev="${1:-HEAD~1}"
rounds="${2:-2}"
export BENCH_SCALE="${BENCH_SCALE:-0.1}" BENCH_IMPORT_ROUNDS="${BENCH_IMPORT_ROUNDS:-1}"
export INGEST_LEVELS="${INGEST_LEVELS:-4}" INGEST_BATCHES="${INGEST_BATCHES:-60}"
export INGEST_COPY_ROUNDS="${INGEST_COPY_ROUNDS:-1}"

work="$(mktemp -d)"
trap 'git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add --detach "$work/base" "$base_rev" >/dev/null
ln -s "$PWD/node_modules" "$work/base/node_modules"

for round in $(seq 1 "$rounds"); do
  for side in base current; do
    dir="$PWD"
    [ "$side" = base ] && dir="$work/base"
    echo "== round $round, $side ($(git -C "$dir" rev-parse --short HEAD)), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    (cd "$dir" && npx tsx bench/run.ts >"$work/$side-$round-run.txt" 2>/dev/null)
    (cd "$dir" && npx tsx bench/ingest.ts >"$work/$side-$round-ingest.txt" 2>/dev/null)
    echo "--- $side round $round (load after: $(cut -d' ' -f1-3 /proc/loadavg))"
    grep -E '^  status --json|^  metrics|^Load average|^load average|^[0-9]+ +[0-9,]+ ' \
      "$work/$side-$round-run.txt" "$work/$side-$round-ingest.txt" | sed "s|$work/||"
  done
done
