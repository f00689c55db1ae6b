#!/usr/bin/env bash
# Webhook verify + parse throughput (issue 4): tasklane next to standardwebhooks, a bare
# Web Crypto HMAC and node:crypto, at 1 KiB and 64 KiB, in Node and in workerd.
# Writes bench/results/webhook.md. Needs `make build`.
set -euo pipefail
cd "$(dirname "$0")/.."
node bench/webhook/bench.mjs
