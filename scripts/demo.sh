#!/usr/bin/env bash
# `make demo` (after `make build`): builds and starts the simulator on 127.0.0.1 (port 8787,
# or a free one), bundles www/ against the npm package, serves it on 127.0.0.1 (port 8080, or
# a free one) and prints the URL. Runs until Ctrl-C, which stops the simulator too.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

SIM_PORT="${SIM_PORT:-8787}"
DEMO_PORT="${DEMO_PORT:-8080}"

echo "[demo] cargo build -p tasklane-sim"
cargo build -q -p tasklane-sim
SIM_BIN="${TASKLANE_SIM_BIN:-target/debug/tasklane-sim}"

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port_free "$SIM_PORT" || SIM_PORT=0

# Standard Webhooks secret the simulator signs deliveries with; the demo server verifies them.
WEBHOOK_SECRET="whsec_$(head -c 24 /dev/urandom | base64)"

log="$(mktemp -t tasklane-sim.XXXXXX)"
"$SIM_BIN" --addr "127.0.0.1:$SIM_PORT" --webhook-secret "$WEBHOOK_SECRET" >"$log" 2>&1 &
sim_pid=$!
cleanup() { kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; rm -f "$log"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

sim_url=""
for _ in $(seq 1 100); do
  sim_url="$(grep -om1 'http://127\.0\.0\.1:[0-9]*' "$log" || true)"
  [ -n "$sim_url" ] && break
  kill -0 "$sim_pid" 2>/dev/null || { cat "$log" >&2; echo "[demo] the simulator exited" >&2; exit 1; }
  sleep 0.1
done
[ -n "$sim_url" ] || { cat "$log" >&2; echo "[demo] the simulator did not start within 10 s" >&2; exit 1; }
echo "[demo] simulator listening on $sim_url"

echo "[demo] bundling www/ with esbuild"
node scripts/serve-demo.mjs --sim "$sim_url" --port "$DEMO_PORT" --webhook-secret "$WEBHOOK_SECRET"
