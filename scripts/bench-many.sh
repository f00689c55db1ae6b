#!/usr/bin/env bash
# Many tasks at scale (issue 6): 10,000 concurrent tasklane waits in one Node process
# against the simulator (release build, its own process), next to @fal-ai/client and
# replicate on 1,000 tasks of the same workload. Writes bench/results/many.md; needs
# `make build`. Extra arguments go to bench/many/bench.mjs (e.g. --tasks 2000 --scale 0.5).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

# 10,000 waits and fal's 1,000 unpooled polls need sockets in both processes.
want=16384
if [ "$(ulimit -n)" -lt "$want" ]; then
  ulimit -n "$want" 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true
fi

# Built for speed like scripts/bench-sim.sh (the same flags, so both share one artifact);
# the workspace release profile is tuned for the wasm's size.
export CARGO_PROFILE_RELEASE_OPT_LEVEL=3 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
cargo build --release -p tasklane-sim --bin tasklane-sim >&2
[ -f pkg/dist/tasklane_bg.wasm ] || bash scripts/build-pkg.sh >&2

mkdir -p bench/results
# --also-tasks 1000: tasklane on the JS clients' count too, for a like-for-like row (~6 minutes in all).
node bench/many/bench.mjs target/release/tasklane-sim --out bench/results/many.md --also-tasks 1000 "$@"
