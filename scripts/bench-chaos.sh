#!/usr/bin/env bash
# Issue 8: the chaos run with 10,000 tasks (bench/chaos/chaos.mjs) against the simulator on
# 127.0.0.1: ~20 % faults on every route of the four dialects, aborts, deadlines, cancels,
# dropped clients resumed from their TaskStore, duplicated and stale webhooks. Writes its
# summary table to bench/results/chaos.md; exits non-zero when a must-be-zero count is not.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
cargo build -q -p tasklane-sim
[[ -f pkg/dist/tasklane_bg.wasm ]] || bash scripts/build-pkg.sh
mkdir -p bench/results
TASKS="${CHAOS_TASKS:-10000}"
SEED="${CHAOS_SEED:-8}"
node bench/chaos/chaos.mjs "$TASKS" --seed "$SEED" --md bench/results/chaos.md
