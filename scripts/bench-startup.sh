#!/usr/bin/env bash
# Start-up cost in Node, Chromium and workerd next to the JS clients (issue 7); needs `make build`.
set -euo pipefail
cd "$(dirname "$0")/.."
node bench/startup/startup.mjs
