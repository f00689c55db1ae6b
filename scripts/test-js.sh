#!/usr/bin/env bash
# Runs every JavaScript test: `node --test` over tests/js/**/*.test.mjs against the built
# package (pkg/) and the simulator. The runtime checks (workerd via Miniflare, Deno,
# headless Chromium via playwright-core) are node:test files in tests/js/runtimes/ that
# spawn those runtimes, so one run reports them all. Output lands in test-output/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$HOME/.cargo/bin:$root/node_modules/.bin:$PATH"

cargo build -p tasklane-sim
# Always: the tests must run against the package as the sources are now (quick when
# nothing changed: cargo is incremental and build-pkg skips bindgen/opt on a fresh stamp).
bash scripts/build-pkg.sh
mkdir -p test-output

mapfile -t files < <(find tests/js examples -name '*.test.mjs' -not -path '*/node_modules/*' | sort)
if [[ ${#files[@]} -eq 0 ]]; then
  echo "test-js: no tests/js/**/*.test.mjs files" >&2
  exit 1
fi
# Each file starts its own simulator on a free port, so files may run in parallel; two
# at a time is what this 2-core machine takes without starving the runtimes.
exec node --test --test-concurrency=2 --test-timeout=120000 "$@" "${files[@]}"
