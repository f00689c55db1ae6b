#!/usr/bin/env bash
# Polling-efficiency study on the core's virtual clock (issue 7 item 3): writes
# bench/results/polling-study.md and bench/polling-study.svg.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release -q -p tasklane-core --example polling_study > /dev/null
