#!/usr/bin/env bash
# Size of the shipped package next to the JS clients (issue 7); needs `make build` first.
set -euo pipefail
cd "$(dirname "$0")/.."
node bench/size/size.mjs
