#!/usr/bin/env bash
# wasm-bindgen-test for the shell's glue, in Node (tests/node.rs) and in headless Chromium
# (tests/browser.rs, via chromedriver and webdriver.json). Starts the simulator on a free
# 127.0.0.1 port first and passes its URL at build time (TASKLANE_SIM_URL, read with
# option_env!), since wasm cannot read the environment at run time; the test page is
# served from another port, so the browser run also exercises the simulator's CORS.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$HOME/.cargo/bin:$root/node_modules/.bin:$PATH"

cargo build -p tasklane-sim
log="$(mktemp)"
target/debug/tasklane-sim --addr 127.0.0.1:0 >"$log" 2>&1 &
sim_pid=$!
trap 'kill "$sim_pid" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do
  url="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$log" | head -1 || true)"
  [[ -n "$url" ]] && break
  kill -0 "$sim_pid" 2>/dev/null || { cat "$log" >&2; echo "test-wasm: the simulator exited" >&2; exit 1; }
  sleep 0.1
done
[[ -n "${url:-}" ]] || { echo "test-wasm: the simulator did not start" >&2; exit 1; }
echo "test-wasm: simulator at $url"

export TASKLANE_SIM_URL="$url"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
export WASM_BINDGEN_TEST_TIMEOUT=60
echo "test-wasm: Node"
timeout 600 cargo test -p tasklane --target wasm32-unknown-unknown --test node
echo "test-wasm: headless Chromium"
CHROMEDRIVER=/usr/bin/chromedriver timeout 600 cargo test -p tasklane --target wasm32-unknown-unknown --test browser
