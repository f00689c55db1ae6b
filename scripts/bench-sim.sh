#!/usr/bin/env bash
# Load benchmark of the simulator: builds release, starts tasklane-sim on a free loopback
# port, runs sim-load (2,000 concurrent polling clients by default), stops the simulator.
# Writes bench/results/sim-load.md. Extra arguments go to sim-load (e.g. --clients 500).
set -euo pipefail
cd "$(dirname "$0")/.."

# 2,000 clients need ~2,000 sockets in each process; raise the soft limit if we may.
want=8192
if [ "$(ulimit -n)" -lt "$want" ]; then
  ulimit -n "$want" 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true
fi
echo "bench-sim: open-file limit $(ulimit -n)" >&2

# The workspace release profile is tuned for the wasm size (opt-level "z", fat LTO); the
# simulator is measured as a native server, so build it for speed instead.
export CARGO_PROFILE_RELEASE_OPT_LEVEL=3 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
cargo build --release -p tasklane-sim --bins >&2
bin=target/release

out=$(mktemp)
"$bin/tasklane-sim" --addr 127.0.0.1:0 --seed 1 >"$out" 2>&2 &
sim_pid=$!
trap 'kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 100); do
  grep -q "listening on" "$out" && break
  sleep 0.1
done
url=$(sed -n 's/^tasklane-sim listening on //p' "$out" | head -1)
[ -n "$url" ] || { echo "bench-sim: the simulator did not start" >&2; exit 1; }

mkdir -p bench/results
"$bin/sim-load" --url "$url" --clients 2000 --run-ms 2000:4000 --poll-ms 500 --max-secs 120 \
  --sim-pid "$sim_pid" --out bench/results/sim-load.md "$@"
